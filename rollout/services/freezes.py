"""Change freezes: windows (e.g. holiday peak) in which no phase starts, and the written,
audited override an operator may give one phase."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from rollout.domain.errors import NotFoundError
from rollout.domain.lifecycle import PhaseState, State
from rollout.domain.text import reason_require
from rollout.models import FreezeWindow, Rollout
from rollout.services.audit import audit_record
from rollout.services.plans import RolloutRefused
from rollout.services.roles import Role, role_require
from rollout.services.timeline import rollout_advance_schedule, rollout_event_record, rollout_lock


class FreezeNotFound(NotFoundError):
    """No freeze window has that id (the API answers 404, not the 409 of a refusal)."""


def freeze_create(*, starts_at: datetime, ends_at: datetime, reason: str,
                  actor: AbstractBaseUser | None) -> FreezeWindow:
    user = role_require(user=actor, role=Role.APPROVER)
    if ends_at <= starts_at:
        raise RolloutRefused("a freeze must end after it starts")
    reason_require(reason, missing="a freeze needs a reason")
    with transaction.atomic():
        window = FreezeWindow.objects.create(starts_at=starts_at, ends_at=ends_at,
                                             reason=reason, created_by=user)
        audit_record(actor=user, action="freeze.created", object_type="freeze",
                     object_id=str(window.id), reason=reason,
                     details={"starts_at": starts_at.isoformat(),
                              "ends_at": ends_at.isoformat()})
    return window


def freeze_end(*, window_id: int, reason: str, actor: AbstractBaseUser | None,
               now: datetime | None = None) -> FreezeWindow | None:
    """End a change freeze early (approver role), with a written reason.

    - A window that has not started yet is cancelled: its row is deleted, and the audit row
      `freeze.cancelled` keeps its history (start, end, reason, creator). A window that never
      held anything needs no "cancelled" state on the model, and deleting it keeps every reader
      (the engine, the dashboard) unchanged: they only ever see windows that apply. Returns None.
    - A window in progress ends now (`ends_at = now`), audited as `freeze.ended` with its old
      end. Returns the window.
    - A window already over is refused (RolloutRefused); one that does not exist is
      FreezeNotFound.

    After the commit, every running rollout the window was holding is re-enqueued, so a held
    phase starts at once rather than at the old end: the engine parks a held rollout with
    `next_step_at` at the end of the freeze it waits for, and neither the engine nor the sweep
    would look at it before then.
    """
    user = role_require(user=actor, role=Role.APPROVER)
    reason_require(reason, missing="ending a change freeze needs a written reason")
    with transaction.atomic():
        window = FreezeWindow.objects.select_for_update().filter(id=window_id).first()
        if window is None:
            raise FreezeNotFound(f"there is no freeze window {window_id}")
        now = now or timezone.now()
        old_end = window.ends_at
        if old_end <= now:
            raise RolloutRefused(f"freeze window {window_id} ended at "
                                 f"{old_end:%Y-%m-%d %H:%M} UTC: there is nothing to end")
        details = {"starts_at": window.starts_at.isoformat(), "ends_at": old_end.isoformat(),
                   "freeze_reason": window.reason,
                   "created_by": getattr(window.created_by, "username", None)}
        if window.starts_at >= now:
            window.delete()
            result, action = None, "freeze.cancelled"
        else:
            window.ends_at = now
            window.save(update_fields=["ends_at"])
            result, action = window, "freeze.ended"
            details["ended_at"] = now.isoformat()
        audit_record(actor=user, action=action, object_type="freeze", object_id=str(window_id),
                     reason=reason, details=details)
        # A held rollout waits with next_step_at at the end of the freeze that holds it
        # (lifecycle.next_step); a rollout that waits for another, longer window is looked at
        # for nothing, which the engine's row lock and state check make harmless.
        for rollout_id in Rollout.objects.filter(state=State.RUNNING.value,
                                                 next_step_at=old_end).values_list("id",
                                                                                   flat=True):
            rollout_advance_schedule(rollout_id=rollout_id)
    return result


def phase_freeze_override(*, rollout_id: int, phase_number: int, reason: str,
                          actor: AbstractBaseUser | None) -> Rollout:
    """Let phase `phase_number` (1-based) start inside a change freeze, with a written reason."""
    user = role_require(user=actor, role=Role.OPERATOR)
    reason_require(reason, missing="overriding a change freeze needs a written reason")
    with transaction.atomic():
        rollout = rollout_lock(rollout_id=rollout_id)
        phase = rollout.phases.filter(index=phase_number - 1).first()
        if phase is None:
            raise RolloutRefused(f"rollout {rollout_id} has no phase {phase_number}")
        if phase.state != PhaseState.PENDING.value:
            raise RolloutRefused(f"phase {phase_number} has already started")
        phase.freeze_override_reason, phase.freeze_override_by = reason, user
        phase.save(update_fields=["freeze_override_reason", "freeze_override_by"])
        rollout_event_record(rollout=rollout, kind="freeze_overridden",
                             message=f"phase {phase_number} may start during a change "
                                     f"freeze: {reason}", actor=user)
        rollout_advance_schedule(rollout_id=rollout.id)
    return rollout
