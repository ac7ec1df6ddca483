"""GET /api/v1/route for a Bearer token, answered in front of Django's middleware stack.

The order-routing service calls this per order. Measured under gunicorn (bench/api_load.py),
the project's middleware and the request signals cost about 170 µs of CPU a request, a third of
the endpoint's cost, for a read that needs none of what they add: no session, no CSRF (GET),
no page headers to decide per request. So the WSGI application answers here exactly the one
case that dominates the traffic, and hands everything else to Django unchanged:

- a GET of exactly `/api/v1/route?zone=Z` (one parameter, one value), with a Host that
  ALLOWED_HOSTS accepts (the same `get_host` rule), a Bearer token that authenticates and may
  read (`auth.caller_of_token`, the rule the ninja view uses), and a zone that is live: answered
  200 with the same body as the Django views (`route_lookup`, orjson);
- anything else (other paths and methods, session callers, bad or unauthorised tokens, zones
  that are not live, extra parameters) goes through Django, which answers it with its errors.

The headers of a 200 are not a second copy of the middleware's rules: the first such request
of a process (per URL scheme) is served by Django, and the headers its middleware put on the
answer are kept and reused. Only Content-Length and X-Request-ID (the middleware's rule,
`request_id_of`) depend on the answer; tests/api/test_route_wsgi.py asserts that both ways
give the same status, headers and body.
The request signals are sent as Django's handler sends them (its receivers look after the
database connection, because the live state asks the database for a new activation every
RRM_LIVE_STATE_CHECK_MS; tests that detach them, as Django's test client does, keep theirs).
Answers given here are counted in the HTTP metrics as Django's middleware counts the others
(`rrm_http_requests_total{route="api/v1/route"}`), since they never reach it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest

from rollout.api.auth import caller_of_token
from rollout.services.roles import Role, RoleRequired
from rollout.services.route_index import route_lookup
from rollout.telemetry.http import ROUTE_FAST_LATENCY, ROUTE_FAST_OK
from rollout.telemetry.logs import request_id_of

ROUTE_PATH = "/api/v1/route"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]


#: headers that belong to one answer, never kept for the next ones
_PER_ANSWER = frozenset({"content-length", "x-request-id"})


class RouteFastPath:
    """A WSGI application: GET /api/v1/route answered here when it may be, else `django`."""

    def __init__(self, django: WsgiApp) -> None:
        self.django = django
        self._headers: dict[str, Headers] = {}  # by wsgi.url_scheme (HSTS is only on https)
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != ROUTE_PATH
                or not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")):
            return self.django(environ, start_response)
        began = time.perf_counter()
        body = answer_of(environ)
        if body is None:
            return self.django(environ, start_response)
        headers = self._headers.get(environ.get("wsgi.url_scheme", "http"))
        if headers is None:
            return self._learn_headers(environ, start_response)
        request_id = request_id_of(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response("200 OK", [*headers, ("Content-Length", str(len(body))),
                                  ("X-Request-ID", request_id)])
        # Counted here as Django's middleware would count it (rollout/telemetry/http.py), with
        # children bound once: two increments, a few µs.
        ROUTE_FAST_OK.inc()
        ROUTE_FAST_LATENCY.observe(time.perf_counter() - began)
        return [body]

    def _learn_headers(self, environ: dict[str, Any],
                       start_response: StartResponse) -> Iterable[bytes]:
        """Serve through Django and keep the headers of its 200 for the next requests."""
        scheme = environ.get("wsgi.url_scheme", "http")

        def keeping(status: str, headers: Headers, *exc_info: Any) -> Any:
            if status.startswith("200 "):
                kept = [(name, value) for name, value in headers
                        if name.lower() not in _PER_ANSWER]
                with self._lock:
                    self._headers.setdefault(scheme, kept)
            return start_response(status, headers, *exc_info)

        return self.django(environ, keeping)


def answer_of(environ: dict[str, Any]) -> bytes | None:
    """The body of a 200 for this request when this path may give it, else None (Django will
    answer: with the route, or with the error the request deserves)."""
    request = WSGIRequest(environ)
    query = request.GET
    if len(query) != 1 or len(query.getlist("zone")) != 1:
        return None
    try:
        request.get_host()  # ALLOWED_HOSTS, as Django checks it for every request
    except DisallowedHost:
        return None
    # As Django's handler does for a request (its receivers look after the database
    # connection: a token's first check and the live state may ask the database).
    signals.request_started.send(sender=RouteFastPath, environ=environ)
    try:
        caller = caller_of_token(environ["HTTP_AUTHORIZATION"][len("Bearer "):])
        if caller is None:
            return None
        try:
            caller.require(Role.VIEWER)
        except RoleRequired:
            return None
        answer = route_lookup(zone=query["zone"])
    finally:
        signals.request_finished.send(sender=RouteFastPath)
    return None if answer is None else orjson.dumps(answer)
