"""The rollout engine: `rollout_advance` does at most the next step of a running rollout.

It locks the rollout row, asks the state machine what is due (lifecycle.next_step), does that
one step, records when to look again, and schedules itself for then. Run twice, or late, it
finds the step already done (or not yet due) and does nothing more: the database alone decides,
so a lost message, a killed worker or a broker outage delays a phase but never repeats or skips
it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from rollout.domain.findings import Finding
from rollout.domain.lifecycle import (
    Action,
    FreezeView,
    PhaseState,
    PhaseView,
    State,
    Step,
    StepKind,
    next_step,
    transition,
)
from rollout.domain.promql import Reading
from rollout.models import (
    Activation,
    FreezeWindow,
    KpiSnapshot,
    Phase,
    Rollout,
)
from rollout.services.activations import activation_create, live_state_lock
from rollout.services.gate_judging import phase_gates_judge
from rollout.services.gate_sources import (
    GateSpec,
    gate_readings,
    reading_stored,
)
from rollout.services.kpis import observations_latest, simulation_run
from rollout.services.live import live_network_errors, live_state_publish
from rollout.services.live_network import LiveBasis, latest_activations
from rollout.services.plans import RolloutNotFound
from rollout.services.route_tables import version_route_table
from rollout.services.timeline import (
    rollout_advance_schedule,
    rollout_event_record,
    rollout_lock,
)
from rollout.services.webhooks import webhook_event

logger = logging.getLogger(__name__)


def rollout_advance(*, rollout_id: int, now: datetime | None = None) -> Step:
    """Do the rollout's next due step, if any. Safe to call any number of times.

    Slow reads happen before any lock or transaction: the simulations (cached after the
    first time) and, for a phase to activate or judge, the Prometheus readings of its gates
    (`gate_sources.gate_readings`: at most ceil(regions x gates / 8) x the query timeout)."""
    _warm_simulations(rollout_id)  # slow the first time: done before taking the lock
    now = now or timezone.now()
    readings = _prometheus_read(rollout_id, now)
    with transaction.atomic():
        try:
            rollout = rollout_lock(rollout_id=rollout_id)
        except RolloutNotFound:  # deleted since it was enqueued: nothing to do
            return Step(StepKind.NONE, reason="no such rollout")
        phases = list(rollout.phases.select_for_update().order_by("index"))
        step = _due_step(rollout, phases, now)
        if step.kind in (StepKind.ACTIVATE, StepKind.EVALUATE) and \
                readings.step != (step.kind, step.phase):
            # Another run moved the rollout while Prometheus was read: read again, unlocked.
            rollout_advance_schedule(rollout_id=rollout.id)
            return Step(StepKind.NONE, reason="the due step changed while Prometheus was read")
        if step.kind == StepKind.ACTIVATE:
            assert step.phase is not None
            _activate_phase(rollout, phases[step.phase], now, readings.values)
        elif step.kind == StepKind.EVALUATE:
            assert step.phase is not None
            phase_gates_judge(rollout=rollout, phase=phases[step.phase], now=now,
                              readings=readings.values)
        elif step.kind == StepKind.COMPLETE:
            rollout.state = transition(Action.COMPLETE, State(rollout.state)).value
            rollout.finished_at, rollout.next_step_at = now, None
            rollout.save(update_fields=["state", "finished_at", "next_step_at"])
            rollout_event_record(rollout=rollout, kind="completed", message="every phase passed",
                                 actor=None)
        elif step.kind == StepKind.WAIT:
            if rollout.next_step_at != step.due_at:
                rollout.next_step_at = step.due_at
                rollout.save(update_fields=["next_step_at"])
                rollout_advance_schedule(rollout_id=rollout.id, eta=step.due_at)
        else:
            if rollout.next_step_at is not None and rollout.state != State.RUNNING.value:
                rollout.next_step_at = None
                rollout.save(update_fields=["next_step_at"])
    logger.info("rollout.advance rollout_id=%s step=%s phase=%s", rollout_id, step.kind.value,
                step.phase)
    return step


#: the most due rollouts one sweep sends (the longest overdue first; the next sweep sends more)
MAX_DUE_PER_SWEEP = 1000

_tables_found = False


def rollouts_due(*, now: datetime | None = None, limit: int = MAX_DUE_PER_SWEEP) -> list[int]:
    """Ids of the running rollouts whose next step is due at `now`, longest overdue first (at
    most `limit`): what the periodic sweep sends to `rollout_advance` again."""
    return list(Rollout.objects.filter(state=State.RUNNING.value,
                                       next_step_at__lte=now or timezone.now())
                .order_by("next_step_at", "id").values_list("id", flat=True)[:limit])


def engine_tables_exist() -> bool:
    """Whether the database has the rollouts' tables (a worker started on a fresh clone before
    `manage.py migrate` has none). Asked until they exist, then never again."""
    global _tables_found
    if not _tables_found:
        from django.db import connection

        _tables_found = Rollout._meta.db_table in connection.introspection.table_names()
    return _tables_found


def _due_step(rollout: Rollout, phases: list[Phase], now: datetime) -> Step:
    """What the state machine says is due for the rollout at `now`."""
    return next_step(
        State(rollout.state),
        [PhaseView(p.index, PhaseState(p.state), p.start_after, p.bake_until) for p in phases],
        now,
        [FreezeView(f.starts_at, f.ends_at)
         for f in FreezeWindow.objects.filter(ends_at__gt=now)],
        frozenset(p.index for p in phases if p.freeze_override_reason),
    )


@dataclass(frozen=True)
class _Readings:
    """The Prometheus readings taken (unlocked) for the step that was due: (kind, phase)."""

    step: tuple[StepKind, int | None] | None
    values: dict[tuple[str, str], Reading]


def _prometheus_read(rollout_id: int, now: datetime) -> _Readings:
    """Outside any lock: if a phase is due to activate or be judged, read every (region,
    gate) of it that reads Prometheus, at `now` ("before" or "after")."""
    rollout = Rollout.objects.filter(id=rollout_id, state=State.RUNNING.value).first()
    if rollout is None:
        return _Readings(None, {})
    phases = list(rollout.phases.order_by("index"))
    step = _due_step(rollout, phases, now)
    if step.kind not in (StepKind.ACTIVATE, StepKind.EVALUATE) or step.phase is None:
        return _Readings(None, {})
    values = gate_readings(regions=phases[step.phase].regions,
                           gates=[GateSpec(g.kpi, g.query) for g in rollout.gates.all()], at=now)
    return _Readings((step.kind, step.phase), values)


def _activate_phase(rollout: Rollout, phase: Phase, now: datetime,
                    readings: dict[tuple[str, str], Reading]) -> None:
    """All regions of the phase go live in this one transaction, with before/after KPIs
    (and the "before" readings from Prometheus, read just before)."""
    live_state_lock()
    basis = LiveBasis.read()
    latest = basis.latest
    errors = _phase_errors(rollout, phase, basis)
    if errors:
        rollout.state = transition(Action.PAUSE, State(rollout.state)).value
        rollout.next_step_at = None
        rollout.save(update_fields=["state", "next_step_at"])
        rollout_event_record(rollout=rollout, kind="phase_blocked",
                             message=f"phase {phase.index + 1} not activated: the live network "
                                     "changed since the start and this phase would break it; "
                                     "paused", actor=None,
                             details={"findings": [f.as_dict() for f in errors[:50]]})
        return
    for region in phase.regions:
        _snapshot(region, latest[region].version if region in latest else None,
                  KpiSnapshot.Kind.BEFORE, now)
    activation_create(regions=phase.regions, version=rollout.version, kind="activate", actor=None,
                      reason=f"rollout {rollout.id} phase {phase.index + 1}", rollout=rollout,
                      phase=phase)
    live_state_publish()
    for region in phase.regions:
        _snapshot(region, rollout.version, KpiSnapshot.Kind.AFTER, now)
    phase.state = PhaseState.BAKING.value
    phase.activated_at = now
    phase.bake_until = now + timedelta(minutes=phase.bake_minutes)
    phase.prometheus_before = {}
    for (region, kpi), reading in readings.items():
        phase.prometheus_before.setdefault(region, {})[kpi] = reading_stored(reading)
    phase.save(update_fields=["state", "activated_at", "bake_until", "prometheus_before"])
    rollout.next_step_at = phase.bake_until
    rollout.save(update_fields=["next_step_at"])
    rollout_event_record(rollout=rollout, kind="phase_activated",
                         message=f"phase {phase.index + 1} live: {', '.join(phase.regions)} "
                                 f"on {rollout.version_id}", actor=None,
                         details={"phase": phase.index, "regions": phase.regions,
                                  "bake_until": phase.bake_until.isoformat()})
    webhook_event(event="activation",
                  payload={"rollout": rollout.id, "phase": phase.index + 1,
                           "regions": phase.regions, "version": rollout.version_id})
    rollout_advance_schedule(rollout_id=rollout.id, eta=phase.bake_until)


def _phase_errors(rollout: Rollout, phase: Phase, basis: LiveBasis) -> list[Finding]:
    """Errors of the live network with this phase's regions on the rollout's version.

    The plan check at the start vouched for every phase as long as nobody else changes the
    network; only when someone did is the composite checked again.
    """
    assert rollout.started_at is not None
    foreign = Activation.objects.filter(created_at__gte=rollout.started_at).exclude(
        rollout=rollout).exists()
    if not foreign:
        return []
    return live_network_errors(changes={region: rollout.version for region in phase.regions},
                               basis=basis)


def _snapshot(region: str, version: object, kind: str, now: datetime) -> None:
    """Simulated KPIs of the region on `version`, plus the latest observations (before only)."""
    from rollout.models import Version

    if isinstance(version, Version):
        values = simulation_run(version=version)["regions"].get(region)
        if values is not None:
            KpiSnapshot.objects.create(region=region, version=version,
                                       source=KpiSnapshot.Source.SIMULATION, kind=kind,
                                       values=values, taken_at=now)
    if kind == KpiSnapshot.Kind.BEFORE:
        observed = {kpi: o.value for kpi, o in observations_latest(region, until=now).items()}
        if observed:
            KpiSnapshot.objects.create(region=region, source=KpiSnapshot.Source.OBSERVED,
                                       kind=kind, values=observed, taken_at=now)


def _warm_simulations(rollout_id: int) -> None:
    """Compute (and cache) the simulations and the route table a phase activation will read,
    outside any lock."""
    rollout = Rollout.objects.filter(id=rollout_id, state=State.RUNNING.value).first()
    if rollout is None:
        return
    try:
        simulation_run(version=rollout.version)
        version_route_table(version_id=rollout.version_id)  # what live_state_publish reads
        for activation in latest_activations().values():
            if activation.version is not None and activation.version.valid:
                simulation_run(version=activation.version)
    except Exception:  # a failure here must not stop the engine; the snapshot will retry
        logger.warning("rollout.warm_failed rollout_id=%s", rollout_id, exc_info=True)
