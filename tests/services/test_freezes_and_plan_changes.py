"""Change freezes with their audited override, and plan changes voiding an approval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rollout.domain.lifecycle import StepKind, TransitionRefused
from rollout.domain.text import ReasonRejected
from rollout.models import AuditEvent
from rollout.services.engine import rollout_advance
from rollout.services.freezes import freeze_create, phase_freeze_override
from rollout.services.roles import RoleRequired
from rollout.services.rollouts import (
    RolloutRefused,
    rollout_approve,
    rollout_start,
    rollout_update_plan,
)
from tests.rollout_factories import original_version, people, phases_of, rollout_factory

pytestmark = pytest.mark.django_db


def test_freeze__phase_due_inside_window__waits_until_override_with_reason() -> None:
    # Given a running rollout and a change freeze covering now
    who = people()
    rollout = rollout_factory(original_version(), ["NE", "MA", "SE"], who=who, state="running")
    now = timezone.now()
    freeze_create(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2),
                  reason="holiday peak", actor=who.approver)

    # When the engine looks at it, the phase waits for the end of the freeze
    step = rollout_advance(rollout_id=rollout.id, now=now)
    assert step.kind == StepKind.WAIT and step.reason == "change freeze"

    # Then an operator's written override lets it start, and the override is audited
    phase_freeze_override(rollout_id=rollout.id, phase_number=1, reason="fixing a live outage",
                          actor=who.operator)
    assert rollout_advance(rollout_id=rollout.id, now=now).kind == StepKind.ACTIVATE
    assert AuditEvent.objects.filter(action="rollout.freeze_overridden").exists()
    assert AuditEvent.objects.filter(action="freeze.created").exists()


def test_freeze_override__without_reason_or_role__refused() -> None:
    who = people()
    rollout = rollout_factory(original_version(), ["NE", "MA", "SE"], who=who, state="running")

    with pytest.raises(ReasonRejected):
        phase_freeze_override(rollout_id=rollout.id, phase_number=1, reason=" ",
                              actor=who.operator)
    with pytest.raises(RoleRequired):
        phase_freeze_override(rollout_id=rollout.id, phase_number=1, reason="x",
                              actor=who.viewer)


def test_freeze_create__ends_before_it_starts__refused() -> None:
    who = people()
    now = timezone.now()

    with pytest.raises(RolloutRefused):
        freeze_create(starts_at=now, ends_at=now - timedelta(hours=1), reason="x",
                      actor=who.approver)


def test_rollout_update_plan__after_approval__voids_it_and_needs_a_new_one() -> None:
    # Given an approved rollout
    who = people()
    rollout = rollout_factory(original_version(), ["NE", "MA", "SE"], who=who, state="approved")

    # When its plan changes (two phases instead of one)
    changed = rollout_update_plan(rollout_id=rollout.id, phases=phases_of(["NE", "MA"], ["SE"]),
                                  actor=who.editor)

    # Then it is a draft again, the approval is gone, and it cannot start
    assert changed.state == "draft" and changed.approved_by is None
    assert changed.plan_digest != rollout.plan_digest
    with pytest.raises(TransitionRefused):
        rollout_start(rollout_id=rollout.id, actor=who.operator)
    approved = rollout_approve(rollout_id=rollout.id, actor=who.approver)
    assert approved.approved_digest == changed.plan_digest
    assert [p.regions for p in approved.phases.order_by("index")] == [["NE", "MA"], ["SE"]]


def test_rollout_update_plan__running__refused() -> None:
    who = people()
    rollout = rollout_factory(original_version(), ["NE", "MA", "SE"], who=who, state="running")

    with pytest.raises(TransitionRefused):
        rollout_update_plan(rollout_id=rollout.id, phases=phases_of(["NE"]), actor=who.editor)
