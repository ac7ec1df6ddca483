"""Rolling a rollout back: one click (or a failed gate) returns every region the rollout
activated to what it had before, in one transaction, unless that would break the live network."""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.utils import timezone

from rollout.domain.composite import LiveRegion, compose
from rollout.domain.findings import Finding
from rollout.domain.lifecycle import Action, PhaseState, State, transition
from rollout.models import Activation, Phase, Rollout
from rollout.selectors import version_bundle
from rollout.services.activations import (
    activate,
    claimed_history,
    composite_findings,
    ever_claimed_zones,
    latest_activations,
    live_regions_from,
)
from rollout.services.plans import RolloutRefused
from rollout.services.roles import Role, require_role
from rollout.services.timeline import lock_rollout, record_event
from rollout.services.webhooks import webhook_event

logger = logging.getLogger(__name__)


def rollout_rollback(*, rollout_id: int, actor: AbstractBaseUser | None, reason: str) -> Rollout:
    """One click: every region the rollout activated goes back to the version it had before
    the rollout (or out of service if it was not live), in one transaction."""
    user = require_role(actor, Role.OPERATOR)
    if not reason.strip():
        raise RolloutRefused("a rollback needs a reason")
    with transaction.atomic():
        rollout = lock_rollout(rollout_id)
        rollback_locked(rollout, actor=user, reason=reason)
    return rollout


def rollback_locked(rollout: Rollout, *, actor: User | None, reason: str) -> list[Activation]:
    """The rollback itself, for a rollout row the caller has locked (also used by the engine
    when a gate fails). Skips bakes and gates and leaves nothing for a worker to finish."""
    rollout.state = transition(Action.ROLLBACK, State(rollout.state)).value
    now = timezone.now()
    phases = list(rollout.phases.order_by("index"))
    touched = [r for p in phases if p.activated_at is not None for r in p.regions]
    baseline_ids = {r: rollout.baseline.get(r) for r in touched}
    earlier = Activation.objects.in_bulk([i for i in baseline_ids.values() if i is not None])
    errors = restored_state_errors(rollout, touched, earlier, baseline_ids)
    if errors:
        raise RolloutRefused("rolling this rollout back now would break the live network "
                             "(another change since overlaps it); roll that one back first, "
                             "or use region rollbacks", errors)
    restored: list[Activation] = []
    for region in touched:
        before = earlier.get(baseline_ids[region]) if baseline_ids[region] else None
        restored += activate(regions=[region], version=before.version if before else None,
                             kind=Activation.Kind.ROLLBACK, actor=actor, reason=reason,
                             rollout=rollout, restores={region: before})
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
    record_event(rollout, "rolled_back", f"rolled back: {reason}", actor, {"restored": detail})
    webhook_event("rollback", {"rollout": rollout.id, "restored": detail, "reason": reason})
    logger.info("rollout.rolled_back rollout_id=%s regions=%s", rollout.id, ",".join(touched))
    return restored


def restored_state_errors(
    rollout: Rollout,
    touched: list[str],
    earlier: dict[int, Activation],
    baseline_ids: dict[str, int | None],
) -> list[Finding]:
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
    latest = latest_activations()
    live = [r for r in live_regions_from(latest) if r.code not in touched]
    history = claimed_history()
    sequence = max((a.id for a in latest.values()), default=0)
    for region in touched:
        baseline_id = baseline_ids[region]
        before = earlier.get(baseline_id) if baseline_id is not None else None
        if before is not None and before.version is not None:
            bundle = version_bundle(version=before.version)
            if bundle is not None:
                sequence += 1
                live.append(LiveRegion(code=region, version_id=before.version.id,
                                       bundle=bundle, sequence=sequence))
    state = compose(live, ever_claimed_zones([r.code for r in live], history))
    return [f for f in composite_findings(state) if f.severity == "error"]
