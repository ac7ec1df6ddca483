"""Rollouts: one by id, the lists (the API's, the rollouts page's, those in flight or just
ended), a rollout's phases and events, and its status as the API and `manage.py rollout`
answer it (DESIGN sections 7 and 9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from rollout.domain.lifecycle import State
from rollout.models import GateResult, Phase, Rollout, RolloutEvent

#: rollout states the dashboard calls "in flight": approved, started, not finished
IN_FLIGHT = (State.APPROVED.value, State.RUNNING.value, State.PAUSED.value)


def rollout_find(*, rollout_id: int) -> Rollout | None:
    """The rollout with that id, with its version and people loaded, or None."""
    return (Rollout.objects.select_related("version", "created_by", "approved_by")
            .filter(id=rollout_id).first())


def rollout_list(*, state: str | None = None) -> QuerySet[Rollout]:
    """Rollouts newest first (in one state, if given), with their creator loaded."""
    rows = Rollout.objects.order_by("-created_at", "-id")
    if state:
        rows = rows.filter(state=state)
    return rows.select_related("created_by")


def rollout_list_with_phases(*, state: str | None = None, limit: int = 200) -> list[Rollout]:
    """The newest `limit` rollouts (in one state, if given) with their version, people and
    phases (in order) loaded: two queries."""
    rows = (Rollout.objects.select_related("version", "created_by", "approved_by")
            .prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("index")))
            .order_by("-created_at", "-id"))
    if state:
        rows = rows.filter(state=state)
    return list(rows[:limit])


def rollout_list_in_flight(*, limit: int = 20) -> list[Rollout]:
    """Rollouts approved, running or paused (`IN_FLIGHT`), newest first, phases loaded."""
    return list(Rollout.objects.filter(state__in=IN_FLIGHT).order_by("-created_at", "-id")
                .prefetch_related("phases")[:limit])


def rollout_list_ended(*, since: datetime, limit: int) -> list[Rollout]:
    """Rollouts that finished (completed, failed, cancelled, rolled back) at or after `since`,
    the latest first, phases loaded."""
    return list(Rollout.objects.exclude(state__in=IN_FLIGHT).filter(finished_at__gte=since)
                .order_by("-finished_at", "-id").prefetch_related("phases")[:limit])


def rollout_list_started() -> list[Rollout]:
    """Running and paused rollouts (those a freeze may hold), by id, phases loaded: two
    queries, whatever their number."""
    return list(Rollout.objects.filter(state__in=[State.RUNNING.value, State.PAUSED.value])
                .prefetch_related("phases").order_by("id"))


def phase_list(*, rollout: Rollout) -> list[Phase]:
    """The rollout's phases in order, each with who overrode a freeze for it and its gate
    results (in order, with the observation and token each was judged on): two queries."""
    return list(Phase.objects.filter(rollout=rollout).order_by("index")
                .select_related("freeze_override_by")
                .prefetch_related(Prefetch("gate_results",
                                           queryset=GateResult.objects.order_by("id")
                                           .select_related("observation__token"))))


def rollout_event_list(*, rollout: Rollout) -> QuerySet[RolloutEvent]:
    """The rollout's events, oldest first, with their actor loaded."""
    return rollout.events.select_related("actor").order_by("at", "id")


def rollout_status(*, rollout: Rollout) -> dict[str, Any]:
    """The status shape of DESIGN section 9, read afresh from the database: what
    `manage.py rollout status` prints and GET /api/v1/rollouts/{id} answers."""
    rollout.refresh_from_db()
    return {
        "id": rollout.id,
        "state": rollout.state,
        "version": rollout.version_id,
        "on_gate_failure": rollout.on_gate_failure,
        "created_by": rollout.created_by.username,
        "approved_by": rollout.approved_by.username if rollout.approved_by else None,
        "phases": [
            {"regions": p.regions, "state": p.state, "bake_minutes": p.bake_minutes,
             "started_at": p.activated_at.isoformat() if p.activated_at else None,
             "finished_at": p.finished_at.isoformat() if p.finished_at else None}
            for p in rollout.phases.order_by("index")
        ],
        "gates": [{"kpi": g.kpi, "max_regression_pct": g.max_regression_pct, "query": g.query}
                  for g in rollout.gates.order_by("id")],
        "events": [
            {"at": e.at.isoformat(), "kind": e.kind, "message": e.message,
             "actor": e.actor.username if e.actor else None}
            for e in rollout_event_list(rollout=rollout)
        ],
    }
