"""Random sequences of rollout operations over a few versions of the example, with the
invariants of DESIGN sections 5 and 6 checked after every step.

Each example runs inside a savepoint of the test's transaction and is rolled back at its end,
so examples start from the same database: three stored versions with their simulations cached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from rollout.domain.composite import claimed_zones
from rollout.domain.lifecycle import StepKind, TransitionRefused
from rollout.models import Activation, AuditEvent, Rollout, Version
from rollout.selectors.versions import version_bundle
from rollout.services.activations import ActivationRefused, region_rollback
from rollout.services.engine import rollout_advance
from rollout.services.kpis import kpi_observation_record, simulation_run
from rollout.services.live import composite_findings, live_state
from rollout.services.live_network import latest_activations
from rollout.services.rollouts import (
    GatePlan,
    PhasePlan,
    RolloutRefused,
    rollout_approve,
    rollout_cancel,
    rollout_create,
    rollout_pause,
    rollout_resume,
    rollout_rollback,
    rollout_start,
)
from tests.rollout_factories import (
    REGIONS,
    Clock,
    People,
    live_state_forget,
    make_live,
    moved_282_version,
    original_version,
    people,
    rerouted_version,
)

GATES = [[], [GatePlan("in_region_pct", 2.0)], [GatePlan("avg_km", 0.0)]]
REFUSALS = (TransitionRefused, RolloutRefused)


class RolloutMachine(RuleBasedStateMachine):
    """One rollout world. `versions` and `who` are created once, before the examples."""

    versions: list[Version]
    who: People

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        live_state_forget()
        self.clock = Clock()
        self.rollouts: list[int] = []
        self.audit = AuditEvent.objects.count()
        self.checked_at = -1

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)
        live_state_forget()

    # --- helpers ---------------------------------------------------------------------------

    def expect_audit(self, delta: int, what: str) -> None:
        self.audit += delta
        actual = AuditEvent.objects.count()
        assert actual == self.audit, (f"{what}: {actual - (self.audit - delta)} audit events "
                                      f"for {delta} change(s)")

    def in_state(self, *states: str) -> list[int]:
        return list(Rollout.objects.filter(id__in=self.rollouts, state__in=states)
                    .order_by("id").values_list("id", flat=True))

    def pick(self, index: int, *states: str) -> int:
        candidates = self.in_state(*states)
        return candidates[index % len(candidates)]

    def attempt(self, what: str, action: Callable[[], Any]) -> bool:
        """Run one human action; a refusal must change nothing, a success add one audit row."""
        try:
            action()
        except REFUSALS:
            self.expect_audit(0, f"refused {what}")
            return False
        self.expect_audit(1, what)
        return True

    def check_restored(self, rollout_id: int) -> None:
        """After a rollout's rollback, each region it touched is on its baseline version."""
        rollout = Rollout.objects.get(id=rollout_id)
        touched = [r for p in rollout.phases.all() if p.activated_at is not None
                   for r in p.regions]
        latest = latest_activations()
        for region in touched:
            baseline_id = rollout.baseline.get(region)
            baseline = Activation.objects.get(id=baseline_id).version_id if baseline_id else None
            assert latest[region].version_id == baseline, (
                f"{region} is on {latest[region].version_id} after rolling back rollout "
                f"{rollout_id}, expected its baseline {baseline}")

    # --- rules -----------------------------------------------------------------------------

    @initialize(original_everywhere=st.booleans())
    def start_world(self, original_everywhere: bool) -> None:
        if original_everywhere:
            make_live(self.versions[0])

    @rule(version=st.integers(0, 2),
          phase_of=st.lists(st.integers(-1, 2), min_size=3, max_size=3),
          bake=st.sampled_from([0.0, 30.0]),
          later_start=st.booleans(),
          gates=st.integers(0, len(GATES) - 1),
          on_failure=st.sampled_from(["rollback", "pause"]))
    def create(self, version: int, phase_of: list[int], bake: float, later_start: bool,
               gates: int, on_failure: str) -> None:
        groups = [[r for r, p in zip(REGIONS, phase_of, strict=True) if p == index]
                  for index in range(3)]
        start_after = self.clock.now + timedelta(minutes=45) if later_start else None
        phases = [PhasePlan(regions=g, bake_minutes=bake, start_after=start_after)
                  for g in groups if g]
        try:
            rollout = rollout_create(version=self.versions[version], phases=phases,
                                     gates=GATES[gates], on_gate_failure=on_failure,
                                     actor=self.who.editor)
        except RolloutRefused:
            self.expect_audit(0, "refused create")
            return
        self.expect_audit(1, "create")
        self.rollouts.append(rollout.id)

    @precondition(lambda self: self.in_state("draft"))
    @rule(index=st.integers(0, 9))
    def approve(self, index: int) -> None:
        rollout_id = self.pick(index, "draft")
        self.attempt("approve", lambda: rollout_approve(rollout_id=rollout_id,
                                                        actor=self.who.approver))

    @precondition(lambda self: self.in_state("approved"))
    @rule(index=st.integers(0, 9))
    def start(self, index: int) -> None:
        rollout_id = self.pick(index, "approved")
        self.attempt("start", lambda: rollout_start(rollout_id=rollout_id,
                                                    actor=self.who.operator))

    def advance_one(self, rollout_id: int) -> None:
        """One engine step; audit rows only for the changes it made."""
        step = rollout_advance(rollout_id=rollout_id, now=self.clock.now)
        after = Rollout.objects.get(id=rollout_id).state
        if step.kind in (StepKind.ACTIVATE, StepKind.COMPLETE):
            self.expect_audit(1, f"advance {step.kind.value}")
        elif step.kind == StepKind.EVALUATE:
            # passed: one event; failed: the failure, then the rollback or the pause
            self.expect_audit(1 if after == "running" else 2, "advance evaluate")
            if after == "rolled_back":
                self.check_restored(rollout_id)
        else:
            self.expect_audit(0, f"advance {step.kind.value}")

    @precondition(lambda self: self.in_state("running"))
    @rule(index=st.integers(0, 9), minutes=st.sampled_from([0, 1, 30, 60, 180]),
          steps=st.integers(1, 3))
    def advance(self, index: int, minutes: int, steps: int) -> None:
        rollout_id = self.pick(index, "running")
        for _ in range(steps):
            self.clock.advance(minutes)
            self.advance_one(rollout_id)

    @precondition(lambda self: self.in_state("running"))
    @rule(minutes=st.sampled_from([0, 30, 60]))
    def advance_every_running_rollout(self, minutes: int) -> None:
        """What the periodic sweep does: each running rollout's next step, in id order."""
        self.clock.advance(minutes)
        for rollout_id in self.in_state("running"):
            self.advance_one(rollout_id)

    @precondition(lambda self: self.in_state("running"))
    @rule(index=st.integers(0, 9))
    def pause(self, index: int) -> None:
        rollout_id = self.pick(index, "running")
        self.attempt("pause", lambda: rollout_pause(rollout_id=rollout_id,
                                                    actor=self.who.operator))

    @precondition(lambda self: self.in_state("paused"))
    @rule(index=st.integers(0, 9))
    def resume(self, index: int) -> None:
        rollout_id = self.pick(index, "paused")
        self.attempt("resume", lambda: rollout_resume(rollout_id=rollout_id,
                                                      actor=self.who.operator))

    @precondition(lambda self: self.in_state("running", "paused", "completed"))
    @rule(index=st.integers(0, 9))
    def rollback(self, index: int) -> None:
        rollout_id = self.pick(index, "running", "paused", "completed")
        if self.attempt("rollback", lambda: rollout_rollback(
                rollout_id=rollout_id, actor=self.who.operator, reason="random rollback")):
            self.check_restored(rollout_id)

    @precondition(lambda self: self.rollouts)
    @rule(index=st.integers(0, 9), action=st.sampled_from(
        ["approve", "start", "pause", "resume", "cancel", "rollback"]))
    def any_action_on_any_rollout(self, index: int, action: str) -> None:
        """Whatever the state: either the state machine refuses, or it is one change."""
        rollout_id = self.rollouts[index % len(self.rollouts)]
        actor = self.who.approver if action == "approve" else self.who.operator
        services: dict[str, Callable[..., Any]] = {
            "approve": rollout_approve, "start": rollout_start, "pause": rollout_pause,
            "resume": rollout_resume, "cancel": rollout_cancel, "rollback": rollout_rollback}
        extra = {"reason": "random rollback"} if action == "rollback" else {}
        if self.attempt(action, lambda: services[action](rollout_id=rollout_id, actor=actor,
                                                         **extra)) and action == "rollback":
            self.check_restored(rollout_id)

    @precondition(lambda self: Activation.objects.exists())
    @rule(region=st.sampled_from(REGIONS), version=st.integers(-1, 2))
    def roll_back_region(self, region: str, version: int) -> None:
        target = self.versions[version] if version >= 0 else None
        try:
            region_rollback(region=region, version=target, reason="random region rollback",
                            actor=self.who.operator)
        except ActivationRefused:
            self.expect_audit(0, "refused region rollback")
            return
        self.expect_audit(1, "region rollback")
        assert latest_activations()[region].version == target

    @precondition(lambda self: self.in_state("running"))
    @rule(region=st.sampled_from(REGIONS), value=st.sampled_from([40.0, 99.9]))
    def observe(self, region: str, value: float) -> None:
        kpi_observation_record(region=region, values={"in_region_pct": value},
                               observed_at=self.clock.now)
        self.expect_audit(1, "observation")

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def each_live_zone_owned_by_the_latest_region_claiming_it(self) -> None:
        state = live_state()
        claims: dict[str, list[tuple[int, str]]] = {}
        for code, activation in latest_activations().items():
            if activation.version is None:
                continue
            bundle = version_bundle(version=activation.version)
            assert bundle is not None
            for zone in claimed_zones(bundle, code):
                claims.setdefault(zone, []).append((activation.id, code))
        expected = {zone: max(claimants)[1] for zone, claimants in claims.items()}
        assert state.composite.zone_owner == expected

    @invariant()
    def live_network_has_no_errors(self) -> None:
        state = live_state()
        if state.at_activation == self.checked_at:
            return
        errors = [f"{f.code} {f.message}" for f in composite_findings(composite=state.composite)
                  if f.severity == "error"]
        assert errors == [], f"the live network has errors: {errors}"
        self.checked_at = state.at_activation


@pytest.mark.django_db
def test_rollouts__random_operation_sequences__live_network_and_audit_stay_consistent() -> None:
    # Given three valid versions (the example, zone 282 moved to MA, Newark rerouted) and people
    versions = [original_version(), moved_282_version(), rerouted_version()]
    for version in versions:
        simulation_run(version=version)  # cached outside the examples' savepoints

    class Machine(RolloutMachine):
        pass

    Machine.versions, Machine.who = versions, people()

    # When random sequences of operations run, Then every invariant holds after every step
    run_state_machine_as_test(Machine, settings=settings(
        max_examples=25, stateful_step_count=15, deadline=None, derandomize=True,
        database=None, suppress_health_check=[HealthCheck.too_slow]))

