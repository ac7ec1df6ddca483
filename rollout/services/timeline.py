"""What every rollout state change shares: the row lock, the timeline event with its audit row,
and asking a worker to look at the rollout once the change commits."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from rollout.models import Rollout, RolloutEvent
from rollout.services.audit import audit_record
from rollout.services.enqueue import ROLLOUT_ADVANCE, task_send
from rollout.services.plans import RolloutNotFound

logger = logging.getLogger(__name__)


def rollout_lock(*, rollout_id: int) -> Rollout:
    """The rollout row, locked for the caller's transaction; RolloutNotFound if there is none."""
    try:
        return Rollout.objects.select_for_update().get(id=rollout_id)
    except Rollout.DoesNotExist:
        raise RolloutNotFound(f"no rollout {rollout_id}") from None


def rollout_event_record(*, rollout: Rollout, kind: str, message: str, actor: User | None,
                         details: dict[str, object] | None = None) -> None:
    """The rollout's timeline event and the audit row, in the caller's transaction."""
    RolloutEvent.objects.create(rollout=rollout, kind=kind, message=message, actor=actor,
                                details=details or {})
    audit_record(actor=actor, action=f"rollout.{kind}", object_type="rollout",
                 object_id=str(rollout.id), reason=message, details=details)


def rollout_advance_schedule(*, rollout_id: int, eta: datetime | None = None) -> None:
    """Ask a worker to look at the rollout after the commit (at `eta` if given).

    A step due more than RRM_ETA_MAX_SECONDS ahead gets no message: brokers do not let a worker
    hold one unacknowledged that long (see the setting). The caller has stored the time in
    `next_step_at`, so the sweep enqueues the rollout once it is due.
    """
    if eta is not None and (eta - timezone.now()).total_seconds() > settings.RRM_ETA_MAX_SECONDS:
        return

    def send() -> None:
        try:
            task_send(name=ROLLOUT_ADVANCE, args=(rollout_id,), eta=eta)
        except Exception:  # the broker is down: the sweep will pick the rollout up
            logger.warning("rollout.enqueue_failed rollout_id=%s", rollout_id, exc_info=True)

    transaction.on_commit(send)
