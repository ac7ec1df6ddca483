"""/regions/{code}/kpis (before/after snapshots) and /regions/{code}/observations."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest
from ninja import Router

from rollout.api.auth import caller
from rollout.api.common import bounds
from rollout.api.ratelimit import check_write_rate
from rollout.api.schemas import ErrorOut, ObservationIn, SnapshotOut, SnapshotPage
from rollout.models import KpiSnapshot
from rollout.selectors.kpis import kpi_snapshot_by_key, kpi_snapshot_list
from rollout.services.kpis import kpi_observation_record
from rollout.services.roles import OBSERVATION_ROLES, Role

router = Router(tags=["regions"])


def _snapshot_out(snapshot: KpiSnapshot) -> dict[str, Any]:
    return {"id": snapshot.id, "region": snapshot.region, "version": snapshot.version_id,
            "source": snapshot.source, "kind": snapshot.kind, "values": snapshot.values,
            "taken_at": snapshot.taken_at.isoformat(), "source_system": snapshot.source_system,
            "token": snapshot.token.prefix if snapshot.token else None}


@router.get("/regions/{code}/kpis", response=SnapshotPage)
def region_kpis(request: HttpRequest, code: str, kind: str | None = None, limit: int = 50,
                offset: int = 0) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    limit, offset = bounds(limit, offset)
    rows = kpi_snapshot_list(region=code, kind=kind)
    return {"count": rows.count(), "limit": limit, "offset": offset,
            "items": [_snapshot_out(s) for s in rows[offset:offset + limit]]}


@router.post("/regions/{code}/observations",
             response={200: SnapshotOut, 201: SnapshotOut, 403: ErrorOut, 422: ErrorOut})
def post_observation(request: HttpRequest, code: str,
                     body: ObservationIn) -> tuple[int, dict[str, Any]]:
    """Observed KPI values from monitoring (an observer token) or an operator; gates are
    judged on them. The token that posted them is recorded. With an `Idempotency-Key` header a
    retried post is stored once: the retry gets the first post's snapshot back with 200."""
    who = caller(request)
    user = who.require_any(*OBSERVATION_ROLES)
    check_write_rate(request)
    key = request.headers.get("Idempotency-Key") or None
    if key is not None:
        earlier = kpi_snapshot_by_key(region=code, idempotency_key=key[:128])
        if earlier is not None:
            return 200, _snapshot_out(earlier)
    try:
        snapshot = kpi_observation_record(region=code, values=body.values, actor=user,
                                          observed_at=body.observed_at,
                                          source_system=body.source or
                                          (f"token:{who.token_id}" if who.token_id else ""),
                                          idempotency_key=key[:128] if key else None,
                                          token_id=who.token_id)
    except IntegrityError:  # the same key raced in: answer with the stored one
        assert key is not None  # without a key nothing is unique
        stored = kpi_snapshot_by_key(region=code, idempotency_key=key[:128])
        assert stored is not None  # the insert that won the race is committed
        return 200, _snapshot_out(stored)
    return 201, _snapshot_out(snapshot)
