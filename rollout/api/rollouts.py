"""/rollouts: list, create, read, and the transitions; /regions/{code}/rollback."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from rollout.api.auth import caller
from rollout.api.common import bounds
from rollout.api.errors import NotFound
from rollout.api.ratelimit import check_write_rate
from rollout.api.schemas import (
    ErrorOut,
    ReasonIn,
    RegionRollbackIn,
    RegionRollbackOut,
    RolloutIn,
    RolloutOut,
    RolloutPage,
)
from rollout.selectors.rollouts import rollout_find, rollout_list, rollout_status
from rollout.selectors.versions import version_get
from rollout.services.activations import region_rollback
from rollout.services.roles import CANCEL_ROLES, Role
from rollout.services.rollouts import (
    GatePlan,
    PhasePlan,
    rollout_approve,
    rollout_cancel,
    rollout_create,
    rollout_pause,
    rollout_resume,
    rollout_rollback,
    rollout_start,
)

router = Router(tags=["rollouts"])
REFUSALS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/rollouts", response=RolloutPage)
def list_rollouts(request: HttpRequest, state: str | None = None, limit: int = 50,
                  offset: int = 0) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    limit, offset = bounds(limit, offset)
    rows = rollout_list(state=state)
    items = [{"id": r.id, "state": r.state, "version": r.version_id,
              "created_at": r.created_at.isoformat(),
              "created_by": r.created_by.username}
             for r in rows[offset:offset + limit]]
    return {"count": rows.count(), "limit": limit, "offset": offset, "items": items}


@router.post("/rollouts", response={201: RolloutOut, **REFUSALS})
def create_rollout(request: HttpRequest, body: RolloutIn) -> tuple[int, dict[str, Any]]:
    user = caller(request).require(Role.EDITOR)
    check_write_rate(request)
    rollout = rollout_create(
        version=version_get(ref=body.version),
        phases=[PhasePlan(regions=p.regions, bake_minutes=p.bake_minutes,
                          start_after=p.start_after) for p in body.phases],
        gates=[GatePlan(kpi=g.kpi, max_regression_pct=g.max_regression_pct, query=g.query)
               for g in body.gates],
        on_gate_failure=body.on_gate_failure, actor=user)
    return 201, rollout_status(rollout=rollout)


@router.get("/rollouts/{rollout_id}", response={200: RolloutOut, 404: ErrorOut})
def get_rollout(request: HttpRequest, rollout_id: int) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    rollout = rollout_find(rollout_id=rollout_id)
    if rollout is None:
        raise NotFound(f"no rollout {rollout_id}")
    return rollout_status(rollout=rollout)


def _transition(request: HttpRequest, roles: tuple[Role, ...], action: Any,
                rollout_id: int) -> dict[str, Any]:
    user = caller(request).require_any(*roles)
    check_write_rate(request)
    return rollout_status(rollout=action(rollout_id=rollout_id, actor=user))


@router.post("/rollouts/{rollout_id}/approve", response={200: RolloutOut, **REFUSALS})
def approve(request: HttpRequest, rollout_id: int) -> dict[str, Any]:
    return _transition(request, (Role.APPROVER,), rollout_approve, rollout_id)


@router.post("/rollouts/{rollout_id}/start", response={200: RolloutOut, **REFUSALS})
def start(request: HttpRequest, rollout_id: int) -> dict[str, Any]:
    return _transition(request, (Role.OPERATOR,), rollout_start, rollout_id)


@router.post("/rollouts/{rollout_id}/pause", response={200: RolloutOut, **REFUSALS})
def pause(request: HttpRequest, rollout_id: int) -> dict[str, Any]:
    return _transition(request, (Role.OPERATOR,), rollout_pause, rollout_id)


@router.post("/rollouts/{rollout_id}/resume", response={200: RolloutOut, **REFUSALS})
def resume(request: HttpRequest, rollout_id: int) -> dict[str, Any]:
    return _transition(request, (Role.OPERATOR,), rollout_resume, rollout_id)


@router.post("/rollouts/{rollout_id}/cancel", response={200: RolloutOut, **REFUSALS})
def cancel(request: HttpRequest, rollout_id: int) -> dict[str, Any]:
    return _transition(request, CANCEL_ROLES, rollout_cancel, rollout_id)


@router.post("/rollouts/{rollout_id}/rollback", response={200: RolloutOut, **REFUSALS})
def rollback(request: HttpRequest, rollout_id: int, body: ReasonIn) -> dict[str, Any]:
    user = caller(request).require(Role.OPERATOR)
    # No rate limit here: a rollback is the one write an operator must always be able to make.
    return rollout_status(rollout=rollout_rollback(rollout_id=rollout_id, actor=user,
                                                   reason=body.reason))


@router.post("/regions/{code}/rollback", response={200: RegionRollbackOut, **REFUSALS},
             tags=["regions"])
def rollback_region(request: HttpRequest, code: str, body: RegionRollbackIn) -> dict[str, Any]:
    user = caller(request).require(Role.OPERATOR)
    version = version_get(ref=body.version) if body.version else None
    activation = region_rollback(region=code, version=version, reason=body.reason, actor=user)
    return {"region": activation.region, "version": activation.version_id,
            "activation": activation.id, "reason": activation.reason}
