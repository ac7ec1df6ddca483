"""/active (the composite state, with an ETag) and /route (which FCs serve a zone), now or as
they were at a past instant (`at`)."""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from rollout.api.auth import caller
from rollout.api.errors import NotFound
from rollout.api.schemas import ActiveOut, ErrorOut, RouteOut, RoutesIn, RoutesOut
from rollout.services.live import live_state, live_summary
from rollout.services.live_history import instant_parse, live_summary_as_of, route_as_of
from rollout.services.roles import Role
from rollout.services.route_index import route_lookup, route_lookup_many

router = Router(tags=["live"])


@router.get("/active", response={200: ActiveOut, 304: None, 400: ErrorOut})
def active(request: HttpRequest, at: str | None = None) -> HttpResponse:
    """Per region its live version and activation. Poll with If-None-Match: while nothing was
    activated, the answer is 304 with no body. With `at` (ISO 8601 UTC, e.g.
    2026-11-30T14:54:00Z), the state as it was then, with its `sequence` (0 and no regions:
    nothing was live yet); a time in the future is a 400."""
    caller(request).require(Role.VIEWER)
    if at is not None:
        return JsonResponse(live_summary_as_of(at=instant_parse(text=at)))
    state = live_state()
    etag = f'"act-{state.at_activation}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    body = live_summary()
    response = JsonResponse(body)
    response["ETag"] = etag
    return response


@router.get("/route", response={200: RouteOut, 400: ErrorOut, 404: ErrorOut})
def route(request: HttpRequest, zone: str, at: str | None = None) -> HttpResponse:
    """The zone's region, version, candidate FCs and path; with `at`, as answered then."""
    caller(request).require(Role.VIEWER)
    if at is not None:
        instant = instant_parse(text=at)
        answer = route_as_of(zone=zone, at=instant)
        if answer is None:
            raise NotFound(f"zone {zone!r} was not live at {instant.isoformat()}")
    else:
        answer = route_lookup(zone=zone)
        if answer is None:
            raise NotFound(f"zone {zone!r} is not live")
    # Answers come from the live state already shaped: serialise directly.
    return HttpResponse(orjson.dumps(answer), content_type="application/json")


@router.post("/route", response={200: RoutesOut, 422: ErrorOut})
def routes(request: HttpRequest, body: RoutesIn) -> HttpResponse:
    """Up to 10,000 zones in one call: {"routes": [...], "not_live": [...]}."""
    caller(request).require(Role.VIEWER)
    found, missing = route_lookup_many(zones=body.zones)
    return HttpResponse(orjson.dumps({"routes": found, "not_live": missing}),
                        content_type="application/json")
