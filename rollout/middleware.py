"""Refuse requests carrying a NUL character in the path or query: PostgreSQL cannot store or
compare one in text, so it would surface as a 500 deep inside a query."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any("\x00" in value
                                         for values in request.GET.lists()
                                         for value in values[1]):
            return JsonResponse({"detail": "NUL characters are not allowed in the URL"},
                                status=400)
        return self.get_response(request)
