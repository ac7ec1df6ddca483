"""GET /api/v1/route as a plain Django view in front of the django-ninja one.

The order-routing service calls this per order; measured under gunicorn (bench/api_load.py)
ninja's routing and view machinery cost ~60-110 µs per request, which put the endpoint just
under its budget of 70% of a bare Django view. This view does exactly what the ninja operation
does for a GET (same auth schemes, viewer role, answers and bodies); any other method, or a
request without `zone`, goes on to the ninja view, which also keeps documenting it in OpenAPI.
"""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import get_resolver
from django.views.decorators.csrf import csrf_exempt

from rollout.api.auth import BearerToken, BrowserSession
from rollout.api.errors import error_body, http_status
from rollout.services.roles import Role, RoleRequired
from rollout.services.route_index import route_lookup

_bearer, _session = BearerToken(), BrowserSession()


@csrf_exempt  # safe: GET is answered here; anything else goes to ninja, which checks CSRF
def route(request: HttpRequest) -> HttpResponse:
    if request.method != "GET" or "zone" not in request.GET or "at" in request.GET:
        return _ninja_view()(request)  # other methods, errors and the past: the ninja view
    caller = _bearer(request) or _session(request)
    if caller is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    try:
        caller.require(Role.VIEWER)
    except RoleRequired as exc:
        return JsonResponse(error_body(exc), status=http_status(exc))
    zone = request.GET["zone"]
    answer = route_lookup(zone=zone)
    if answer is None:
        return JsonResponse({"detail": f"zone {zone!r} is not live"}, status=404)
    return HttpResponse(orjson.dumps(answer), content_type="application/json")


def _ninja_view():  # type: ignore[no-untyped-def]  # a Django view callable
    return get_resolver("rollout.api.ninja_urls").resolve("/api/v1/route").func
