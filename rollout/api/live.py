"""/active (the composite state, with an ETag) and /route (which FCs serve a zone now)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from rollout.api.auth import caller
from rollout.api.errors import NotFound
from rollout.api.schemas import ActiveOut, ErrorOut, RouteOut, RoutesIn, RoutesOut
from rollout.services.live import latest_activations, live_state
from rollout.services.roles import Role
from rollout.services.route_index import route_lookup

router = Router(tags=["live"])


@router.get("/active", response={200: ActiveOut, 304: None})
def active(request: HttpRequest) -> HttpResponse:
    """Per region its live version and activation. Poll with If-None-Match: while nothing was
    activated, the answer is 304 with no body."""
    caller(request).require(Role.VIEWER)
    state = live_state()
    etag = f'"act-{state.at_activation}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    latest = latest_activations()
    owners: dict[str, int] = {}
    for owner in state.composite.zone_owner.values():
        owners[owner] = owners.get(owner, 0) + 1
    body = {
        "regions": {
            code: {"version": a.version_id, "activation": a.id, "kind": a.kind,
                   "activated_at": a.created_at.isoformat(), "zones": owners.get(code, 0)}
            for code, a in sorted(latest.items())
        },
        "gaps": state.composite.gaps,
    }
    response = JsonResponse(body)
    response["ETag"] = etag
    return response


@router.get("/route", response={200: RouteOut, 404: ErrorOut})
def route(request: HttpRequest, zone: str) -> HttpResponse:
    caller(request).require(Role.VIEWER)
    answer = route_lookup(zone)
    if answer is None:
        raise NotFound(f"zone {zone!r} is not live")
    # Answers come from the cached composite state already shaped: serialise directly.
    return HttpResponse(json.dumps(answer), content_type="application/json")


@router.post("/route", response={200: RoutesOut, 422: ErrorOut})
def routes(request: HttpRequest, body: RoutesIn) -> HttpResponse:
    """Up to 10,000 zones in one call: {"routes": [...], "not_live": [...]}."""
    caller(request).require(Role.VIEWER)
    found: list[Any] = []
    missing: list[str] = []
    for zone in body.zones:
        answer = route_lookup(zone)
        if answer is None:
            missing.append(zone)
        else:
            found.append(answer)
    return HttpResponse(json.dumps({"routes": found, "not_live": missing}),
                        content_type="application/json")
