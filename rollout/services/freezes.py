"""Change freezes: windows (e.g. holiday peak) in which no phase starts, and the written,
audited override an operator may give one phase."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from rollout.domain.lifecycle import PhaseState
from rollout.models import FreezeWindow, Rollout
from rollout.services.audit import audit_record
from rollout.services.plans import RolloutRefused
from rollout.services.roles import Role, require_role
from rollout.services.timeline import lock_rollout, record_event, schedule_advance


def freeze_create(*, starts_at: datetime, ends_at: datetime, reason: str,
                  actor: AbstractBaseUser | None) -> FreezeWindow:
    user = require_role(actor, Role.APPROVER)
    if ends_at <= starts_at:
        raise RolloutRefused("a freeze must end after it starts")
    if not reason.strip():
        raise RolloutRefused("a freeze needs a reason")
    with transaction.atomic():
        window = FreezeWindow.objects.create(starts_at=starts_at, ends_at=ends_at,
                                             reason=reason, created_by=user)
        audit_record(actor=user, action="freeze.created", object_type="freeze",
                     object_id=str(window.id), reason=reason,
                     details={"starts_at": starts_at.isoformat(),
                              "ends_at": ends_at.isoformat()})
    return window


def phase_freeze_override(*, rollout_id: int, phase_number: int, reason: str,
                          actor: AbstractBaseUser | None) -> Rollout:
    """Let phase `phase_number` (1-based) start inside a change freeze, with a written reason."""
    user = require_role(actor, Role.OPERATOR)
    if not reason.strip():
        raise RolloutRefused("overriding a change freeze needs a written reason")
    with transaction.atomic():
        rollout = lock_rollout(rollout_id)
        phase = rollout.phases.filter(index=phase_number - 1).first()
        if phase is None:
            raise RolloutRefused(f"rollout {rollout_id} has no phase {phase_number}")
        if phase.state != PhaseState.PENDING.value:
            raise RolloutRefused(f"phase {phase_number} has already started")
        phase.freeze_override_reason, phase.freeze_override_by = reason, user
        phase.save(update_fields=["freeze_override_reason", "freeze_override_by"])
        record_event(rollout, "freeze_overridden",
                     f"phase {phase_number} may start during a change freeze: {reason}", user)
        schedule_advance(rollout.id)
    return rollout
