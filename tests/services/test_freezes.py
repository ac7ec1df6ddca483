"""Change freezes: creating, ending early and cancelling windows, and held phases released."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from rollout.domain.errors import ErrorKind
from rollout.domain.lifecycle import PhaseState, StepKind
from rollout.domain.text import ReasonRejected
from rollout.models import Activation, AuditEvent, FreezeWindow
from rollout.services.engine import rollout_advance
from rollout.services.freezes import FreezeNotFound, freeze_create, freeze_end
from rollout.services.plans import RolloutRefused
from rollout.services.roles import RoleRequired
from tests.conftest import SentTask
from tests.rollout_factories import (
    Clock,
    People,
    drive,
    live_versions,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db


def window(who: People, clock: Clock, *, starts_in: float, lasts: float,
           reason: str = "holiday peak") -> FreezeWindow:
    """A freeze starting `starts_in` minutes from the clock's now, lasting `lasts` minutes."""
    starts_at = clock.now + timedelta(minutes=starts_in)
    return freeze_create(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=lasts),
                         reason=reason, actor=who.approver)


def test_freeze_create__approver__stored_and_audited(who: People) -> None:
    clock = Clock()

    created = window(who, clock, starts_in=60, lasts=120)

    assert FreezeWindow.objects.get().id == created.id
    audit = AuditEvent.objects.get(action="freeze.created")
    assert (audit.actor, audit.object_id, audit.reason) == (who.approver, str(created.id),
                                                           "holiday peak")


@pytest.mark.parametrize("role", ["viewer", "editor", "operator"])
def test_freeze_create__without_approver_role__refused(who: People, role: str) -> None:
    now = Clock().now
    with pytest.raises(RoleRequired):
        freeze_create(starts_at=now, ends_at=now + timedelta(hours=1), reason="x",
                      actor=getattr(who, role))
    assert not FreezeWindow.objects.exists()


def test_freeze_create__blank_reason__refused(who: People) -> None:
    now = Clock().now
    with pytest.raises(ReasonRejected, match="reason"):
        freeze_create(starts_at=now, ends_at=now + timedelta(hours=1), reason="  ",
                      actor=who.approver)


def test_freeze_end__window_not_started__cancelled_and_audited_with_its_history(
        who: People) -> None:
    # Given a freeze that starts in an hour
    clock = Clock()
    upcoming = window(who, clock, starts_in=60, lasts=120)

    # When an approver cancels it
    result = freeze_end(window_id=upcoming.id, reason="peak moved", actor=who.approver,
                        now=clock.now)

    # Then it is gone, and the audit row keeps what it was and why it went
    assert result is None
    assert not FreezeWindow.objects.exists()
    audit = AuditEvent.objects.get(action="freeze.cancelled")
    assert (audit.actor, audit.object_id, audit.reason) == (who.approver, str(upcoming.id),
                                                           "peak moved")
    assert audit.details["freeze_reason"] == "holiday peak"
    assert audit.details["starts_at"] == upcoming.starts_at.isoformat()
    assert audit.details["created_by"] == who.approver.username


def test_freeze_end__window_in_progress__ends_now_and_audited(who: People) -> None:
    # Given a freeze that started ten minutes ago and lasts two hours
    clock = Clock()
    open_window = window(who, clock, starts_in=-10, lasts=120)
    old_end = open_window.ends_at

    # When an approver ends it
    ended = freeze_end(window_id=open_window.id, reason="peak over early", actor=who.approver,
                       now=clock.now)

    # Then it ends now, the row stays, and the audit row says when it would have ended
    assert ended is not None
    open_window.refresh_from_db()
    assert open_window.ends_at == clock.now
    audit = AuditEvent.objects.get(action="freeze.ended")
    assert audit.reason == "peak over early"
    assert audit.details["ends_at"] == old_end.isoformat()
    assert audit.details["ended_at"] == clock.now.isoformat()


def test_freeze_end__window_already_over__refused_and_nothing_audited(who: People) -> None:
    clock = Clock()
    past = window(who, clock, starts_in=-120, lasts=60)

    with pytest.raises(RolloutRefused, match="nothing to end"):
        freeze_end(window_id=past.id, reason="x", actor=who.approver, now=clock.now)

    assert FreezeWindow.objects.get().ends_at == past.ends_at
    assert not AuditEvent.objects.filter(action__in=["freeze.ended",
                                                     "freeze.cancelled"]).exists()


def test_freeze_end__no_such_window__not_found(who: People) -> None:
    # a missing window is a 404 (not found), not the 409 of a refusal by state
    with pytest.raises(FreezeNotFound, match="no freeze window 999") as raised:
        freeze_end(window_id=999, reason="x", actor=who.approver)

    assert raised.value.kind is ErrorKind.NOT_FOUND
    assert not isinstance(raised.value, RolloutRefused)


@pytest.mark.parametrize("role", ["viewer", "editor", "operator"])
def test_freeze_end__without_approver_role__refused_and_window_kept(who: People,
                                                                    role: str) -> None:
    clock = Clock()
    open_window = window(who, clock, starts_in=-10, lasts=120)

    with pytest.raises(RoleRequired):
        freeze_end(window_id=open_window.id, reason="x", actor=getattr(who, role))

    open_window.refresh_from_db()
    assert open_window.ends_at > clock.now


def test_freeze_end__blank_reason__refused(who: People) -> None:
    clock = Clock()
    open_window = window(who, clock, starts_in=-10, lasts=120)

    with pytest.raises(ReasonRejected, match="reason"):
        freeze_end(window_id=open_window.id, reason=" ", actor=who.approver)


def test_freeze_end__a_phase_held_by_the_freeze__starts_at_once_not_at_the_old_end(
        who: People, sent_tasks: list[SentTask],
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    # Given a running rollout whose first phase the freeze holds for a day
    clock = Clock()
    make_live(original_version())
    freeze = window(who, clock, starts_in=-60, lasts=24 * 60)
    rollout = rollout_factory(rerouted_version(), ["NE", "MA"], ["SE"], who=who,
                              state="running", bake_minutes=30)
    held = rollout_advance(rollout_id=rollout.id, now=clock.now)
    assert (held.kind, held.reason, held.due_at) == (StepKind.WAIT, "change freeze",
                                                     freeze.ends_at)
    rollout.refresh_from_db()
    assert rollout.next_step_at == freeze.ends_at

    # When an approver ends the freeze ten minutes later
    with django_capture_on_commit_callbacks(execute=True):
        freeze_end(window_id=freeze.id, reason="peak over", actor=who.approver,
                   now=clock.advance(10))

    # Then the held rollout is enqueued at once (after the commit) ...
    assert sent_tasks == [SentTask("rollout.advance", (rollout.id,))]
    # ... and the advance it asked for starts the phase now, a day before the old end
    assert rollout_advance(rollout_id=rollout.id, now=clock.now).kind == StepKind.ACTIVATE
    first = rollout.phases.get(index=0)
    assert first.state == PhaseState.BAKING.value and first.activated_at == clock.now
    assert live_versions()["NE"] == rerouted_version().id
    # and the rest of the rollout runs to the end without waiting for the old end either
    drive(rollout.id, clock)
    rollout.refresh_from_db()
    assert rollout.state == "completed"
    assert clock.now < freeze.ends_at
    assert Activation.objects.filter(rollout=rollout).count() == 3


def test_freeze_end__rollout_not_held__not_enqueued(
        who: People, sent_tasks: list[SentTask],
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    # Given a running rollout baking its first phase, and an upcoming freeze
    clock = Clock()
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], ["MA", "SE"], who=who,
                              state="running", bake_minutes=30)
    assert rollout_advance(rollout_id=rollout.id, now=clock.now).kind == StepKind.ACTIVATE
    upcoming = window(who, clock, starts_in=60, lasts=60)

    # When the freeze is cancelled
    with django_capture_on_commit_callbacks(execute=True):
        freeze_end(window_id=upcoming.id, reason="not needed", actor=who.approver,
                   now=clock.now)

    # Then nothing the freeze did not hold is enqueued
    assert sent_tasks == []
    assert not FreezeWindow.objects.exists()
