"""The project's middleware: request ids, logs' context and HTTP metrics for every request
(ObservabilityMiddleware); requests carrying a NUL character refused (RejectNulMiddleware)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from rollout.telemetry.http import UNMATCHED, http_observe
from rollout.telemetry.logs import log_context, log_context_update, request_id_of


class RejectNulMiddleware:
    """Refuse requests carrying a NUL character in the path or query: PostgreSQL cannot store
    or compare one in text, so it would surface as a 500 deep inside a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any("\x00" in value
                                         for values in request.GET.lists()
                                         for value in values[1]):
            return JsonResponse({"detail": "NUL characters are not allowed in the URL"},
                                status=400)
        return self.get_response(request)


class ObservabilityMiddleware:
    """First in the stack: gives every request an id (a sane `X-Request-ID` from the client or
    proxy, else a new one; echoed in the answer), serves it inside a log context (request id,
    user, rollout and region when the URL names them: see rollout/telemetry/logs.py), and
    counts it in the HTTP metrics by URL pattern and status (rollout/telemetry/http.py).
    GET /api/v1/route answered in front of Django is counted by its fast path instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        began = time.perf_counter()
        request_id = request_id_of(request.headers.get("X-Request-ID", ""))
        with log_context(request_id=request_id, _request=request):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        match = getattr(request, "resolver_match", None)
        http_observe(method=request.method or "", route=match.route if match else UNMATCHED,
                     status=response.status_code, seconds=time.perf_counter() - began)
        return response

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any,
                     kwargs: dict[str, Any]) -> None:
        rollout = kwargs.get("rollout_id")
        if isinstance(rollout, str):  # ninja's patterns pass path parameters as text
            rollout = int(rollout) if rollout.isdecimal() and len(rollout) < 19 else None
        log_context_update(rollout=rollout, region=kwargs.get("code"))

