"""The engine's judgement of a phase's KPI gates at bake end (DESIGN section 6), for
`rollout.services.engine`: each gate for each region of the phase, on the source
`gate_sources.gate_source_of` names (Prometheus readings, else a posted observation, else the
simulation), stored as GateResult rows; then the phase passes, or the failure policy acts.

Bounded: regions x gates GateResult rows, no network call (the readings come in).
"""

from __future__ import annotations

import math
from datetime import datetime

from django.db import transaction

from rollout.domain.gates import judge
from rollout.domain.lifecycle import Action, PhaseState, State, transition
from rollout.domain.promql import Reading
from rollout.models import GateResult, KpiSnapshot, Phase, Rollout
from rollout.services.gate_sources import gate_prometheus_judge, gate_source_of
from rollout.services.kpis import observations_latest
from rollout.services.plans import RolloutRefused
from rollout.services.rollbacks import rollout_rollback_locked
from rollout.services.timeline import rollout_advance_schedule, rollout_event_record


def phase_gates_judge(*, rollout: Rollout, phase: Phase, now: datetime,
                      readings: dict[tuple[str, str], Reading]) -> None:
    """Judge every gate for every region of the phase, at bake end, under the rollout's lock
    (`readings`: the "after" readings from Prometheus, taken just before); pass, or act on
    the failure (`on_gate_failure`)."""
    failures: list[str] = []
    gates = list(rollout.gates.all())
    sources = {g.id: gate_source_of(kpi=g.kpi, own_query=g.query) for g in gates}
    assert phase.activated_at is not None  # a baking phase was activated
    for region in phase.regions:
        before = {s.source: s.values for s in KpiSnapshot.objects.filter(
            region=region, kind=KpiSnapshot.Kind.BEFORE, taken_at=phase.activated_at)}
        after_sim = KpiSnapshot.objects.filter(
            region=region, kind=KpiSnapshot.Kind.AFTER, taken_at=phase.activated_at,
            source=KpiSnapshot.Source.SIMULATION).first()
        observed = observations_latest(region, since=phase.activated_at)
        for gate in gates:
            after_value: object
            before_value: object
            observation = None if sources[gate.id].prometheus else observed.get(gate.kpi)
            prometheus = None
            if sources[gate.id].prometheus:
                source = "prometheus"
                prometheus = gate_prometheus_judge(
                    kpi=gate.kpi, max_regression_pct=gate.max_regression_pct,
                    before=phase.prometheus_before.get(region, {}).get(gate.kpi),
                    after=readings.get((region, gate.kpi)))
                before_value, after_value = prometheus.before, prometheus.after
            elif observation is not None:
                source = "observed"
                after_value = observation.value
                before_value = before.get("observed", {}).get(
                    gate.kpi, before.get("simulation", {}).get(gate.kpi))
            else:
                source = "simulation"
                after_value = after_sim.values.get(gate.kpi) if after_sim else None
                before_value = before.get("simulation", {}).get(gate.kpi)
            if not before:
                verdict_passed, regression, reason = True, None, (
                    f"{region} was not live before this phase: nothing to regress against")
            elif prometheus is not None:
                verdict_passed, regression, reason = (prometheus.passed,
                                                      prometheus.regression_pct,
                                                      prometheus.reason)
            else:
                verdict = judge(gate.kpi, gate.max_regression_pct, before_value, after_value)
                verdict_passed, regression, reason = (verdict.passed, verdict.regression_pct,
                                                      verdict.reason)
            GateResult.objects.create(
                phase=phase, region=region, kpi=gate.kpi, before=_number(before_value),
                after=_number(after_value), regression_pct=_finite(regression),
                max_regression_pct=gate.max_regression_pct, passed=verdict_passed,
                source=source, observation=observation.snapshot if observation else None,
                reason=reason, evaluated_at=now,
                query=prometheus.query if prometheus else "",
                before_at=prometheus.before_at if prometheus else None,
                after_at=prometheus.after_at if prometheus else None)
            if not verdict_passed:
                failures.append(f"{region}: {reason}")
    if not failures:
        phase.state, phase.finished_at = PhaseState.PASSED.value, now
        phase.save(update_fields=["state", "finished_at"])
        rollout.next_step_at = now
        rollout.save(update_fields=["next_step_at"])
        rollout_event_record(rollout=rollout, kind="gates_passed",
                             message=f"phase {phase.index + 1} passed its gates", actor=None)
        rollout_advance_schedule(rollout_id=rollout.id)
        return
    summary = "; ".join(failures)
    rollout_event_record(rollout=rollout, kind="gates_failed",
                         message=f"phase {phase.index + 1} failed: {summary}", actor=None,
                         details={"failures": failures})
    rolled_back = False
    if rollout.on_gate_failure == Rollout.OnGateFailure.ROLLBACK:
        try:
            with transaction.atomic():
                rollout_rollback_locked(rollout=rollout, actor=None,
                                        reason=f"gate failed in phase {phase.index + 1}: {summary}")
            rolled_back = True
        except RolloutRefused as exc:
            rollout.refresh_from_db()
            rollout_event_record(rollout=rollout, kind="rollback_refused",
                                 message=f"automatic rollback refused: {exc}", actor=None,
                                 details={"findings": [f.as_dict() for f in exc.findings[:50]]})
    if not rolled_back:
        phase.state = PhaseState.FAILED.value
        phase.save(update_fields=["state"])
        rollout.state = transition(Action.PAUSE, State(rollout.state)).value
        rollout.next_step_at = None
        rollout.save(update_fields=["state", "next_step_at"])
        rollout_event_record(rollout=rollout, kind="paused", message="paused after a gate failure",
                             actor=None)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
