"""An experiment for bench/api_load.py --lean: what GET /route would cost served by a plain
Django view instead of through django-ninja, everything else unchanged.

The product's URLconf with one pattern put in front of it: `api/v1/route`, a plain view doing
what the ninja operation does for a GET (the Bearer token through the product's own
`BearerToken`, a browser session through `BrowserSession`, the viewer role, `route_lookup`, the
same JSON bytes, the same 401/403/404 bodies). Any other method goes on to the ninja view, so
POST /route is unchanged; the ninja operation stays registered, so OpenAPI still documents it.
Served with bench/api_lean_settings.py. Never deployed: it measures a proposed change.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from regions_config.urls import urlpatterns as product_urlpatterns
from rollout.api.auth import BearerToken, BrowserSession
from rollout.services.activations import route_lookup
from rollout.services.roles import Role, RoleRequired

_bearer, _session = BearerToken(), BrowserSession()
_ninja_route = None


def _ninja(request: HttpRequest) -> HttpResponse:
    global _ninja_route
    if _ninja_route is None:
        from django.urls import get_resolver

        _ninja_route = get_resolver("regions_config.urls").resolve("/api/v1/route").func
    return _ninja_route(request)


def route(request: HttpRequest) -> HttpResponse:
    if request.method != "GET" or "zone" not in request.GET:
        return _ninja(request)  # POST, and ninja's own 422 for a missing zone
    caller = _bearer(request) or _session(request)
    if caller is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    try:
        caller.require(Role.VIEWER)
    except RoleRequired as exc:
        return JsonResponse({"detail": str(exc)}, status=403)
    zone = request.GET["zone"]
    answer = route_lookup(zone)
    if answer is None:
        return JsonResponse({"detail": f"zone {zone!r} is not live"}, status=404)
    return HttpResponse(json.dumps(answer), content_type="application/json")


urlpatterns = [path("api/v1/route", route), *product_urlpatterns]
