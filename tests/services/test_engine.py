"""The rollout engine, driven with an explicit clock: phases, bakes, gates, freezes, failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rollout.domain.lifecycle import PhaseState, StepKind
from rollout.models import (
    Activation,
    AuditEvent,
    FreezeWindow,
    GateResult,
    KpiSnapshot,
    Phase,
    Rollout,
)
from rollout.services import engine
from rollout.services.activations import region_rollback
from rollout.services.engine import rollout_advance
from rollout.services.kpis import kpi_observation_record, simulation_run
from rollout.services.live import composite_findings, live_state
from rollout.services.rollouts import GatePlan, PhasePlan, rollout_pause, rollout_resume
from tests.rollout_factories import (
    Clock,
    People,
    drive,
    live_versions,
    make_live,
    moved_282_version,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

BAKE = 30.0  # minutes (a float: see the digest tests in test_rollouts.py)
IN_REGION_GATE = GatePlan("in_region_pct", 2.0)


def kinds(rollout: Rollout) -> list[str]:
    return list(rollout.events.order_by("at", "id").values_list("kind", flat=True))


def simulated(version: Any, region: str) -> dict[str, float]:
    values: dict[str, float] = simulation_run(version=version)["regions"][region]
    return values


def rerouted_rollout(who: People, **options: Any) -> Rollout:
    """The original live everywhere; a running rollout of the rerouted version: NE+MA, then SE."""
    make_live(original_version())
    options.setdefault("gates", [IN_REGION_GATE])
    options.setdefault("bake_minutes", BAKE)
    return rollout_factory(rerouted_version(), ["NE", "MA"], ["SE"], who=who, state="running",
                           **options)


# --- the happy path, step by step -----------------------------------------------------------


def test_rollout_advance__two_phase_rollout__activates_bakes_judges_and_completes(
        who: People) -> None:
    original, rerouted = original_version(), rerouted_version()
    rollout = rerouted_rollout(who)
    clock = Clock()
    t0 = clock.now

    # When the engine runs at the start: phase 1 goes live, NE and MA together
    step = rollout_advance(rollout_id=rollout.id, now=t0)
    assert (step.kind, step.phase) == (StepKind.ACTIVATE, 0)
    activations = list(Activation.objects.filter(rollout=rollout).order_by("id"))
    assert [(a.region, a.version_id, a.kind) for a in activations] == [
        ("NE", rerouted.id, "activate"), ("MA", rerouted.id, "activate")]
    assert {a.phase.index for a in activations if a.phase} == {0}
    # ... with a "before" (old version) and an "after" (new version) snapshot per region
    snapshots = {(s.region, s.kind): s for s in KpiSnapshot.objects.filter(taken_at=t0)}
    assert set(snapshots) == {("NE", "before"), ("NE", "after"), ("MA", "before"),
                              ("MA", "after")}
    assert snapshots[("NE", "before")].version == original
    assert snapshots[("NE", "before")].values == simulated(original, "NE")
    assert snapshots[("NE", "after")].version == rerouted
    assert snapshots[("NE", "after")].values == simulated(rerouted, "NE")
    phase = Phase.objects.get(rollout=rollout, index=0)
    assert phase.state == PhaseState.BAKING and phase.activated_at == t0
    assert phase.bake_until == t0 + timedelta(minutes=BAKE)
    rollout.refresh_from_db()
    assert rollout.next_step_at == phase.bake_until

    # When it looks again before the bake is over: nothing happens but a wait
    step = rollout_advance(rollout_id=rollout.id, now=clock.advance(BAKE - 1))
    assert (step.kind, step.due_at) == (StepKind.WAIT, phase.bake_until)
    assert Activation.objects.filter(rollout=rollout).count() == 2
    assert not GateResult.objects.exists()

    # When the bake is over: the gates are judged and stored with their numbers
    step = rollout_advance(rollout_id=rollout.id, now=clock.advance(1))
    assert (step.kind, step.phase) == (StepKind.EVALUATE, 0)
    results = {r.region: r for r in GateResult.objects.filter(phase=phase)}
    assert set(results) == {"NE", "MA"}
    ne = results["NE"]
    assert ne.passed and ne.source == "simulation" and ne.kpi == "in_region_pct"
    assert ne.before == simulated(original, "NE")["in_region_pct"]
    assert ne.after == simulated(rerouted, "NE")["in_region_pct"]
    assert ne.max_regression_pct == 2.0 and ne.regression_pct is not None
    assert ne.evaluated_at == clock.now
    phase.refresh_from_db()
    assert phase.state == PhaseState.PASSED and phase.finished_at == clock.now

    # Then phase 2, its bake and gates, then completion
    step = rollout_advance(rollout_id=rollout.id, now=clock.now)
    assert (step.kind, step.phase) == (StepKind.ACTIVATE, 1)
    assert live_versions() == {"NE": rerouted.id, "MA": rerouted.id, "SE": rerouted.id}
    assert rollout_advance(rollout_id=rollout.id, now=clock.advance(BAKE)).kind == \
        StepKind.EVALUATE
    assert rollout_advance(rollout_id=rollout.id, now=clock.now).kind == StepKind.COMPLETE
    rollout.refresh_from_db()
    assert rollout.state == "completed" and rollout.finished_at == clock.now
    assert rollout.next_step_at is None
    assert kinds(rollout) == ["created", "approved", "started", "phase_activated", "gates_passed",
                              "phase_activated", "gates_passed", "completed"]
    assert rollout_advance(rollout_id=rollout.id, now=clock.advance(60)).kind == StepKind.NONE


def test_rollout_advance__each_engine_step__one_audit_event(who: People) -> None:
    rollout = rerouted_rollout(who)
    clock = Clock()
    count = AuditEvent.objects.count()

    steps = drive(rollout.id, clock)

    changes = [s for s in steps if s.kind != StepKind.WAIT]
    assert [s.kind for s in changes] == [StepKind.ACTIVATE, StepKind.EVALUATE, StepKind.ACTIVATE,
                                         StepKind.EVALUATE, StepKind.COMPLETE]
    assert AuditEvent.objects.count() == count + len(changes)


def test_rollout_advance__twice_at_the_same_moment__activates_once(who: People) -> None:
    rollout = rerouted_rollout(who)
    now = Clock().now

    first = rollout_advance(rollout_id=rollout.id, now=now)
    second = rollout_advance(rollout_id=rollout.id, now=now)

    assert first.kind == StepKind.ACTIVATE
    assert second.kind == StepKind.WAIT
    assert Activation.objects.filter(rollout=rollout).count() == 2
    assert KpiSnapshot.objects.filter(kind="after").count() == 2
    assert kinds(rollout).count("phase_activated") == 1


def test_rollout_advance__bake_over_twice_at_the_same_moment__judges_once(who: People) -> None:
    rollout = rerouted_rollout(who)
    clock = Clock()
    rollout_advance(rollout_id=rollout.id, now=clock.now)
    clock.advance(BAKE)

    rollout_advance(rollout_id=rollout.id, now=clock.now)
    rollout_advance(rollout_id=rollout.id, now=clock.now)  # goes on to phase 2, judges nothing

    assert GateResult.objects.count() == 2  # NE and MA, once each
    assert kinds(rollout).count("gates_passed") == 1


def test_rollout_advance__a_snapshot_fails_midway__no_region_of_the_phase_activated(
        who: People, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a snapshot that fails for MA's "after" values (NE's activation is written by then)
    rollout = rerouted_rollout(who)
    real_snapshot = engine._snapshot

    def failing(region: str, version: object, kind: str, now: Any) -> None:
        if (region, kind) == ("MA", "after"):
            raise RuntimeError("simulation store down")
        real_snapshot(region, version, kind, now)

    monkeypatch.setattr(engine, "_snapshot", failing)

    # When the engine activates phase 1
    with pytest.raises(RuntimeError):
        rollout_advance(rollout_id=rollout.id, now=Clock().now)

    # Then the phase is all or nothing: no activation, no snapshot, still pending
    assert not Activation.objects.filter(rollout=rollout).exists()
    assert not KpiSnapshot.objects.filter(kind__in=["before", "after"]).exists()
    assert Phase.objects.get(rollout=rollout, index=0).state == PhaseState.PENDING


def test_rollout_advance__not_running_or_unknown__nothing(who: People) -> None:
    draft = rollout_factory(original_version(), who=who)

    assert rollout_advance(rollout_id=draft.id, now=Clock().now).kind == StepKind.NONE
    assert rollout_advance(rollout_id=999_999, now=Clock().now).reason == "no such rollout"
    assert not Activation.objects.exists()


def test_rollout_advance__region_rolled_back_mid_rollout__next_phase_leaves_no_coverage_gap(
        who: People) -> None:
    # Given the original live everywhere and a rollout moving 282 from SE to MA: MA (the taker)
    # first, SE (the giver) second, which the plan check accepted
    original = original_version()
    make_live(original)
    rollout = rollout_factory(moved_282_version(), ["MA"], ["SE"], who=who, bake_minutes=BAKE,
                              state="running")
    clock = Clock()
    rollout_advance(rollout_id=rollout.id, now=clock.now)
    # ... and an operator putting MA back on the original during the bake (allowed: SE, still
    # on the original, covers 282)
    region_rollback(region="MA", version=original, reason="MA trucks late", actor=who.operator)

    # When the engine carries on: phase 1 passes, phase 2 would take 282 away from SE
    drive(rollout.id, clock)

    # Then the live network must not be left with 282 uncovered (the phase must be held back,
    # with the findings, rather than activated into a network it breaks)
    errors = [f.message for f in composite_findings(composite=live_state().composite)
              if f.severity == "error"]
    assert errors == []


# --- schedule: earliest start and change freezes --------------------------------------------


def test_rollout_advance__phase_with_earliest_start__held_back_until_then(who: People) -> None:
    clock = Clock()
    later = clock.now + timedelta(hours=5)
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), who=who, state="running", phases=[
        PhasePlan(["NE"], bake_minutes=BAKE), PhasePlan(["MA", "SE"], BAKE, start_after=later)])
    rollout_advance(rollout_id=rollout.id, now=clock.now)
    rollout_advance(rollout_id=rollout.id, now=clock.advance(BAKE))  # phase 1 passes

    # When phase 2 is due by order but not by time
    held = rollout_advance(rollout_id=rollout.id, now=clock.advance(1))

    # Then it waits for its earliest start, and goes live exactly then
    assert (held.kind, held.phase, held.due_at, held.reason) == (StepKind.WAIT, 1, later,
                                                                 "earliest start")
    rollout.refresh_from_db()
    assert rollout.next_step_at == later
    assert live_versions()["MA"] == original_version().id
    assert rollout_advance(rollout_id=rollout.id, now=later).kind == StepKind.ACTIVATE
    assert live_versions()["MA"] == rerouted_version().id


def test_rollout_advance__inside_a_freeze__held_until_an_override_reason_is_set(
        who: People) -> None:
    # Given a change freeze covering now
    clock = Clock()
    FreezeWindow.objects.create(starts_at=clock.now - timedelta(hours=1),
                                ends_at=clock.now + timedelta(hours=2), reason="peak")
    rollout = rerouted_rollout(who)

    # When the engine looks, the first phase waits for the freeze's end
    held = rollout_advance(rollout_id=rollout.id, now=clock.now)
    assert (held.kind, held.reason) == (StepKind.WAIT, "change freeze")
    assert held.due_at == clock.now + timedelta(hours=2)
    assert not Activation.objects.filter(rollout=rollout).exists()

    # When an operator overrides the freeze for that phase with a written reason
    Phase.objects.filter(rollout=rollout, index=0).update(
        freeze_override_reason="security fix", freeze_override_by=who.operator)

    # Then it goes live inside the freeze
    assert rollout_advance(rollout_id=rollout.id, now=clock.advance(1)).kind == StepKind.ACTIVATE
    assert live_versions()["NE"] == rerouted_version().id


def test_rollout_advance__freeze_over__phase_goes_live_without_override(who: People) -> None:
    clock = Clock()
    FreezeWindow.objects.create(starts_at=clock.now - timedelta(hours=1),
                                ends_at=clock.now + timedelta(hours=2), reason="peak")
    rollout = rerouted_rollout(who)
    held = rollout_advance(rollout_id=rollout.id, now=clock.now)
    assert held.due_at is not None

    assert rollout_advance(rollout_id=rollout.id, now=held.due_at).kind == StepKind.ACTIVATE


# --- gates ----------------------------------------------------------------------------------


def post_in_region(region: str, value: float, at: Any) -> None:
    kpi_observation_record(region=region, values={"in_region_pct": value}, observed_at=at,
                           source_system="monitoring")


def test_rollout_advance__observed_regression_with_rollback_policy__rolls_back_by_itself(
        who: People) -> None:
    # Given phase 1 live and monitoring reporting NE's in-region share collapsing during the bake
    original = original_version()
    rollout = rerouted_rollout(who, on_gate_failure="rollback")
    clock = Clock()
    rollout_advance(rollout_id=rollout.id, now=clock.now)
    post_in_region("NE", 50.0, clock.advance(10))

    # When the bake ends
    rollout_advance(rollout_id=rollout.id, now=clock.advance(BAKE))

    # Then NE's gate failed on the observed numbers, and the rollout rolled itself back
    ne = GateResult.objects.get(region="NE")
    assert not ne.passed and ne.source == "observed"
    assert ne.before == simulated(original, "NE")["in_region_pct"] and ne.after == 50.0
    assert ne.regression_pct is not None and ne.regression_pct > 2.0
    assert GateResult.objects.get(region="MA").passed
    rollout.refresh_from_db()
    assert rollout.state == "rolled_back"
    assert rollout.rollback_reason.startswith("gate failed in phase 1: NE: in_region_pct "
                                              "regressed")
    assert live_versions() == {"NE": original.id, "MA": original.id, "SE": original.id}
    assert [p.state for p in rollout.phases.order_by("index")] == ["rolled_back", "skipped"]
    assert kinds(rollout)[-2:] == ["gates_failed", "rolled_back"]
    assert rollout_advance(rollout_id=rollout.id, now=clock.advance(60)).kind == StepKind.NONE


def test_rollout_advance__observed_regression_with_pause_policy__pauses_and_resume_rejudges(
        who: People) -> None:
    # Given a failing observation during phase 1's bake, with the pause policy
    rerouted = rerouted_version()
    rollout = rerouted_rollout(who, on_gate_failure="pause")
    clock = Clock()
    rollout_advance(rollout_id=rollout.id, now=clock.now)
    post_in_region("NE", 50.0, clock.advance(10))

    # When the bake ends: the rollout pauses, regions stay on the new version
    rollout_advance(rollout_id=rollout.id, now=clock.advance(BAKE))
    rollout.refresh_from_db()
    phase = Phase.objects.get(rollout=rollout, index=0)
    assert (rollout.state, phase.state, rollout.next_step_at) == ("paused", "failed", None)
    assert live_versions()["NE"] == rerouted.id
    assert kinds(rollout)[-2:] == ["gates_failed", "paused"]
    assert rollout_advance(rollout_id=rollout.id, now=clock.advance(5)).kind == StepKind.NONE

    # When an operator resumes with the observation still bad: judged again, paused again
    rollout_resume(rollout_id=rollout.id, actor=who.operator)
    assert rollout_advance(rollout_id=rollout.id, now=clock.advance(1)).kind == StepKind.EVALUATE
    rollout.refresh_from_db()
    assert rollout.state == "paused"
    assert GateResult.objects.filter(region="NE", passed=False).count() == 2

    # When monitoring reports recovery and the operator resumes: the gates pass, phase 2 follows
    post_in_region("NE", 99.9, clock.advance(1))
    rollout_resume(rollout_id=rollout.id, actor=who.operator)
    assert rollout_advance(rollout_id=rollout.id, now=clock.advance(1)).kind == StepKind.EVALUATE
    phase.refresh_from_db()
    assert phase.state == "passed"
    assert GateResult.objects.filter(region="NE").latest("id").passed
    drive(rollout.id, clock)
    rollout.refresh_from_db()
    assert rollout.state == "completed"


def test_rollout_advance__manual_pause_while_baking__nothing_until_resumed(who: People) -> None:
    rollout = rerouted_rollout(who)
    clock = Clock()
    rollout_advance(rollout_id=rollout.id, now=clock.now)
    rollout_pause(rollout_id=rollout.id, actor=who.operator)

    assert rollout_advance(rollout_id=rollout.id, now=clock.advance(BAKE)).kind == StepKind.NONE
    assert not GateResult.objects.exists()

    rollout_resume(rollout_id=rollout.id, actor=who.operator)
    assert rollout_advance(rollout_id=rollout.id, now=clock.now).kind == StepKind.EVALUATE


def test_rollout_advance__no_observations__gates_judge_the_simulation(who: People) -> None:
    original, rerouted = original_version(), rerouted_version()
    rollout = rerouted_rollout(who, gates=[GatePlan("avg_km", 1000.0), GatePlan("trucks", 1000.0)])

    drive(rollout.id, Clock())

    results = GateResult.objects.all()
    assert len(results) == 6  # three regions, two gates each
    assert {r.source for r in results} == {"simulation"}
    for result in results:
        assert result.before == simulated(original, result.region)[result.kpi]
        assert result.after == simulated(rerouted, result.region)[result.kpi]


def test_rollout_advance__region_not_live_before__gate_passes_as_not_live_before(
        who: People) -> None:
    # Given the very first rollout: nothing was live, so there is nothing to regress against
    rollout = rollout_factory(original_version(), ["SE"], who=who, bake_minutes=BAKE,
                              gates=[IN_REGION_GATE], state="running")

    drive(rollout.id, Clock())

    [result] = GateResult.objects.all()
    assert result.passed and result.before is None
    assert result.reason == "SE was not live before this phase: nothing to regress against"
    rollout.refresh_from_db()
    assert rollout.state == "completed"
    assert not KpiSnapshot.objects.filter(kind="before").exists()


def test_rollout_advance__zero_bake__judged_at_the_next_look(who: People) -> None:
    rollout = rerouted_rollout(who, bake_minutes=0.0)
    now = Clock().now

    steps = [rollout_advance(rollout_id=rollout.id, now=now).kind for _ in range(5)]

    assert steps == [StepKind.ACTIVATE, StepKind.EVALUATE, StepKind.ACTIVATE, StepKind.EVALUATE,
                     StepKind.COMPLETE]
