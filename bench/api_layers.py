"""Where GET /route's time goes inside Django, in this process, without a profiler.

Django's own WSGI handler is called the way gunicorn calls it (an environ in, the body joined,
`close()`: request_started and request_finished are sent), with no sockets and no HTTP parsing.
Handlers are built with different MIDDLEWARE lists (a handler keeps the chain it was built
with) and timed against the product's URLconf and against bench/api_bare_views.py's. Variants
are timed in interleaved blocks, so a slow stretch of the machine hits all of them alike; each
figure is the median over its blocks of the median per call.
"""

from __future__ import annotations

import io
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

BLOCKS = 9


def _environ(query: str, token: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/route", "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Bearer {token}", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(), "wsgi.multithread": False,
            "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0)}


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    if not status.startswith("200"):
        raise SystemExit(f"GET /api/v1/route in-process: {status}")


def _handler(middleware: list[str]) -> Any:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    with override_settings(MIDDLEWARE=middleware):
        return WSGIHandler()


#: a timed variant: the call, and the URLconf to time it under (None: the product's)
Variant = tuple[Callable[[], Any], str | None]


def _caller(handler: Any, token: str, zones: list[str]) -> Callable[[], Any]:
    pick = random.Random(11)

    def call() -> None:
        environ = _environ(f"zone={pick.choice(zones)}", token)
        response = handler(environ, _start_response)
        b"".join(response)
        response.close()

    return call


def _time_blocks(variants: dict[str, Variant], calls: int) -> dict[str, float]:
    from django.test.utils import override_settings

    medians: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(BLOCKS):
        for name, (fn, urlconf) in variants.items():
            override = override_settings(ROOT_URLCONF=urlconf) if urlconf else None
            if override:
                override.enable()
            try:
                fn()  # the first call under an override rebuilds the URL resolver
                times = []
                for _ in range(calls):
                    started = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - started)
            finally:
                if override:
                    override.disable()
            medians[name].append(statistics.median(times))
    return {name: statistics.median(values) for name, values in medians.items()}


def wsgi_breakdown(token: str, zones: list[str], calls: int = 400) -> dict[str, Any]:
    """Per-request medians (seconds) of the product's GET /route and its variants, and what
    each middleware, the API layer and the signals cost (differences of those medians).

    Middleware costs come from handlers with the first k entries of MIDDLEWARE, k = 0..n (the
    list's order keeps each one's dependencies before it): entry k costs t(k) - t(k-1).
    """
    from django.conf import settings
    from django.core.signals import request_finished, request_started
    from django.test import RequestFactory
    from django.urls import get_resolver

    from rollout.api.auth import BearerToken
    from rollout.api.live import route as route_view
    from rollout.services.route_index import route_lookup

    full = list(settings.MIDDLEWARE)
    bare_urls = "bench.api_bare_views"
    prefixes = [_caller(_handler(full[:k]), token, zones) for k in range(len(full) + 1)]
    variants: dict[str, Variant] = {
        "bare_view_no_middleware": (prefixes[0], bare_urls),
        "bare_view_all_middleware": (prefixes[-1], bare_urls),
    }
    for k, fn in enumerate(prefixes):
        variants[f"product_first_{k}_middleware"] = (fn, None)
    for fn, _ in variants.values():  # warm: answers computed, lazy imports done
        for _ in range(50):
            fn()
    times = _time_blocks(variants, calls)

    request = RequestFactory().get("/api/v1/route", HTTP_AUTHORIZATION=f"Bearer {token}")
    bearer = BearerToken()
    request.auth = bearer.authenticate(request, token)  # type: ignore[attr-defined]
    pick = random.Random(13)
    resolver = get_resolver()
    from django.core.handlers.wsgi import WSGIRequest

    from bench.api_bare_views import route as bare_view

    ninja_view = resolver.resolve("/api/v1/route").func

    def fresh() -> WSGIRequest:
        return WSGIRequest(_environ(f"zone={pick.choice(zones)}", token))

    pieces: dict[str, Variant] = {
        "new_request_only": (fresh, None),
        "new_request_ninja_view": (lambda: ninja_view(fresh()), None),
        "new_request_bare_view": (lambda: bare_view(fresh()), None),
        "signals_started_and_finished": (lambda: (request_started.send(sender=None),
                                                  request_finished.send(sender=None)), None),
        "url_resolve_product": (lambda: resolver.resolve("/api/v1/route"), None),
        "token_check_bearer": (lambda: bearer(request), None),
        "route_view_function": (lambda: route_view(request, pick.choice(zones)), None),
        "route_lookup": (lambda: route_lookup(zone=pick.choice(zones)), None),
    }
    times.update(_time_blocks(pieces, calls * 5))
    product = times[f"product_first_{len(full)}_middleware"]
    no_middleware = times["product_first_0_middleware"]
    per_middleware = {
        path.rsplit(".", 1)[1]: times[f"product_first_{k + 1}_middleware"]
        - times[f"product_first_{k}_middleware"] for k, path in enumerate(full)}
    times["ninja_view"] = times["new_request_ninja_view"] - times["new_request_only"]
    times["bare_view"] = times["new_request_bare_view"] - times["new_request_only"]
    return {
        "times_s": times,
        "product_s": product,
        "middleware_s": per_middleware,
        "middleware_total_s": product - no_middleware,
        "api_layer_s": product - times["bare_view_all_middleware"],
        "api_layer_no_middleware_s": no_middleware - times["bare_view_no_middleware"],
    }
