"""Rolling a rollout back: one click (or a failed gate) returns every region the rollout
activated to what it had before, in one transaction, unless that would break the live network."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.utils import timezone

from rollout.domain.findings import Finding
from rollout.domain.lifecycle import Action, PhaseState, State, transition
from rollout.domain.text import reason_require
from rollout.models import Activation, Phase, Rollout, Version
from rollout.services.activations import activation_create, live_state_lock
from rollout.services.live import live_network_errors, live_state_publish
from rollout.services.live_network import LiveBasis
from rollout.services.plans import RolloutRefused
from rollout.services.roles import Role, role_require
from rollout.services.timeline import rollout_event_record, rollout_lock
from rollout.services.webhooks import webhook_event

logger = logging.getLogger(__name__)


def rollout_rollback(*, rollout_id: int, actor: AbstractBaseUser | None, reason: str) -> Rollout:
    """One click: every region the rollout activated goes back to the version it had before
    the rollout (or out of service if it was not live), in one transaction."""
    user = role_require(user=actor, role=Role.OPERATOR)
    reason_require(reason, missing="a rollback needs a reason")
    with transaction.atomic():
        rollout = rollout_lock(rollout_id=rollout_id)
        rollout_rollback_locked(rollout=rollout, actor=user, reason=reason)
    return rollout


@dataclass(frozen=True)
class RollbackTarget:
    """A region a one-click rollback puts back, and the activation it restores (None: the
    region was not live before the rollout, so it goes out of service)."""

    region: str
    restores: Activation | None

    @property
    def version(self) -> Version | None:
        return self.restores.version if self.restores is not None else None


def rollback_targets(*, rollout: Rollout,
                     phases: list[Phase] | None = None) -> list[RollbackTarget]:
    """What a one-click rollback of `rollout` does now: every region of its activated phases,
    back to the activation it had when the rollout started. The rollback dialog lists exactly
    this, and `rollout_rollback_locked` does exactly this."""
    phases = phases if phases is not None else list(rollout.phases.order_by("index"))
    touched = [r for p in phases if p.activated_at is not None for r in p.regions]
    baseline_ids = {r: rollout.baseline.get(r) for r in touched}
    earlier = (Activation.objects.select_related("version")
               .in_bulk([i for i in baseline_ids.values() if i is not None]))
    return [RollbackTarget(region=r, restores=earlier.get(baseline_ids[r]) if baseline_ids[r]
                           else None) for r in touched]


def rollout_rollback_locked(*, rollout: Rollout, actor: User | None,
                            reason: str) -> list[Activation]:
    """The rollback itself, for a rollout row the caller has locked (also used by the engine
    when a gate fails). Skips bakes and gates and leaves nothing for a worker to finish."""
    assert transaction.get_connection().in_atomic_block, (
        "rollout_rollback_locked runs in the caller's transaction, which holds the rollout "
        "row's lock")
    rollout.state = transition(Action.ROLLBACK, State(rollout.state)).value
    now = timezone.now()
    phases = list(rollout.phases.order_by("index"))
    live_state_lock()
    targets = rollback_targets(rollout=rollout, phases=phases)
    errors = rollback_errors(rollout=rollout, targets=targets)
    if errors:
        raise RolloutRefused("rolling this rollout back now would break the live network "
                             "(another change since overlaps it); roll that one back first, "
                             "or use region rollbacks", errors)
    restored: list[Activation] = []
    for target in targets:
        restored += activation_create(regions=[target.region], version=target.version,
                                      kind=Activation.Kind.ROLLBACK, actor=actor, reason=reason,
                                      rollout=rollout, restores={target.region: target.restores})
    live_state_publish()
    for phase in phases:
        if phase.activated_at is not None:
            phase.state = PhaseState.ROLLED_BACK.value
        elif phase.state == PhaseState.PENDING.value:
            phase.state = PhaseState.SKIPPED.value
        phase.finished_at = phase.finished_at or now
    Phase.objects.bulk_update(phases, ["state", "finished_at"])
    rollout.finished_at, rollout.next_step_at, rollout.rollback_reason = now, None, reason
    rollout.save(update_fields=["state", "finished_at", "next_step_at", "rollback_reason"])
    detail = {r.region: r.version_id for r in restored}
    rollout_event_record(rollout=rollout, kind="rolled_back", message=f"rolled back: {reason}",
                         actor=actor, details={"restored": detail})
    webhook_event(event="rollback",
                  payload={"rollout": rollout.id, "restored": detail, "reason": reason})
    logger.info("rollout.rolled_back rollout_id=%s regions=%s", rollout.id,
                ",".join(t.region for t in targets))
    return restored


def rollback_errors(*, rollout: Rollout, targets: list[RollbackTarget]) -> list[Finding]:
    """Errors of the live network a rollback would leave behind.

    When no other activation happened since the rollout started, the restored network is the
    one the plan check vouched for before the start: nothing to compute, which keeps the one
    click fast. Only overlapping changes pay for a composite check.
    """
    first_own = rollout.activations.order_by("id").values_list("id", flat=True).first()
    if first_own is None:
        return []
    foreign = Activation.objects.filter(id__gt=first_own).exclude(rollout=rollout).exists()
    if not foreign:
        return []
    return live_network_errors(changes={t.region: t.version for t in targets},
                               basis=LiveBasis.read())
