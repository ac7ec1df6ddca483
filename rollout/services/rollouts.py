"""Rollouts: plan, plan check, approval (four eyes), start, pause, resume, cancel, rollback.

Every state change is one function, one transaction: lock the rollout row, ask the state
machine, write the change with its event and audit row, and enqueue follow-up work on commit.
The engine that runs phases is `rollout.services.engine`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.utils import timezone

from rollout.domain.composite import LiveRegion, claimed_zones, compose
from rollout.domain.findings import Finding
from rollout.domain.lifecycle import Action, PhaseState, State, transition
from rollout.domain.simulate import KPI_NAMES
from rollout.models import Activation, Gate, Phase, Rollout, RolloutEvent, Version
from rollout.selectors import version_bundle
from rollout.services.activations import (
    activate,
    claimed_history,
    composite_findings,
    ever_claimed_zones,
    latest_activations,
    live_regions_from,
)
from rollout.services.audit import audit_record
from rollout.services.roles import Role, RoleRequired, has_role, require_role
from rollout.services.webhooks import webhook_event

logger = logging.getLogger(__name__)


class RolloutRefused(Exception):
    """A plan or request that a check refuses; `findings` hold the plan check's errors."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


class RolloutNotFound(LookupError):
    """No rollout with that id (the API answers 404)."""


@dataclass(frozen=True)
class PhasePlan:
    regions: list[str]
    bake_minutes: float = 60.0
    start_after: datetime | None = None


@dataclass(frozen=True)
class GatePlan:
    kpi: str
    max_regression_pct: float


def plan_digest(version_id: str, phases: list[PhasePlan], gates: list[GatePlan],
                on_gate_failure: str) -> str:
    """sha256 of everything an approval vouches for."""
    # Canonical values: 30 and 30.0, or a time given at +02:00 and the same instant read back
    # from the database in UTC, must hash alike or no approval could ever match.
    plan = {
        "version": version_id,
        "phases": [{"regions": list(p.regions), "bake_minutes": float(p.bake_minutes),
                    "start_after": (p.start_after.astimezone(UTC).isoformat()
                                    if p.start_after else None)}
                   for p in phases],
        "gates": [{"kpi": g.kpi, "max_regression_pct": float(g.max_regression_pct)}
                  for g in gates],
        "on_gate_failure": on_gate_failure,
    }
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def plan_check(*, version: Version, phases: list[PhasePlan]) -> list[Finding]:
    """The live state after every phase, and the state a rollback would restore (the one
    before the rollout), through the check catalogue. Error messages say which state."""
    bundle = version_bundle(version=version)
    if bundle is None or not version.valid:
        return [Finding(code="E101", message=f"version {version.id} is not valid")]
    latest = latest_activations()
    live = live_regions_from(latest)
    history = claimed_history()
    ever = ever_claimed_zones([r.code for r in live], history)
    findings = _labelled(composite_findings(compose(live, ever)),
                         "before the rollout (what a rollback restores)")
    sequence = max((a.id for a in latest.values()), default=0)
    for index, phase in enumerate(phases):
        for region in phase.regions:
            sequence += 1
            live = [r for r in live if r.code != region]
            live.append(LiveRegion(code=region, version_id=version.id, bundle=bundle,
                                   sequence=sequence))
            history.setdefault(region, set()).update(claimed_zones(bundle, region))
        ever = ever_claimed_zones([r.code for r in live], history)
        findings += _labelled(composite_findings(compose(live, ever)), f"after phase {index + 1}")
    return findings


def _labelled(findings: list[Finding], label: str) -> list[Finding]:
    for item in findings:
        item.message = f"{label}: {item.message}"
    return findings


def rollout_create(
    *,
    version: Version,
    phases: list[PhasePlan],
    gates: list[GatePlan] | None = None,
    on_gate_failure: str = Rollout.OnGateFailure.ROLLBACK,
    actor: AbstractBaseUser | None,
) -> Rollout:
    """A draft rollout, after the plan check passes."""
    user = require_role(actor, Role.EDITOR)
    gates = gates or []
    _validate_plan(version, phases, gates, on_gate_failure)
    errors = [f for f in plan_check(version=version, phases=phases) if f.severity == "error"]
    if errors:
        raise RolloutRefused("the plan check failed", errors)
    with transaction.atomic():
        rollout = Rollout.objects.create(
            version=version, created_by=user, on_gate_failure=on_gate_failure,
            plan_digest=plan_digest(version.id, phases, gates, on_gate_failure))
        Phase.objects.bulk_create(
            Phase(rollout=rollout, index=i, regions=p.regions, bake_minutes=p.bake_minutes,
                  start_after=p.start_after) for i, p in enumerate(phases))
        Gate.objects.bulk_create(Gate(rollout=rollout, kpi=g.kpi,
                                      max_regression_pct=g.max_regression_pct) for g in gates)
        _record(rollout, "created", f"created by {user.username} for version {version.id}",
                user, {"phases": [p.regions for p in phases]})
    return rollout


def _validate_plan(version: Version, phases: list[PhasePlan], gates: list[GatePlan],
                   on_gate_failure: str) -> None:
    if not version.valid:
        raise RolloutRefused(f"version {version.id} has {version.error_count} error(s) and can "
                             "never be rolled out")
    if not phases:
        raise RolloutRefused("a rollout needs at least one phase")
    known = set(version.stats.get("region_codes", []))
    seen: set[str] = set()
    for number, phase in enumerate(phases, start=1):
        if not phase.regions:
            raise RolloutRefused(f"phase {number} has no regions")
        for region in phase.regions:
            if region not in known:
                raise RolloutRefused(f"phase {number}: version {version.id} has no region "
                                     f"{region!r} (it has {', '.join(sorted(known))})")
            if region in seen:
                raise RolloutRefused(f"phase {number}: region {region} is in two phases")
            seen.add(region)
        if phase.bake_minutes < 0:
            raise RolloutRefused(f"phase {number}: bake time cannot be negative")
    for gate in gates:
        if gate.kpi not in KPI_NAMES:
            raise RolloutRefused(f"gate on unknown KPI {gate.kpi!r} "
                                 f"(known: {', '.join(KPI_NAMES)})")
        if not gate.max_regression_pct >= 0:
            raise RolloutRefused(f"gate {gate.kpi}: max regression must be >= 0")
    if on_gate_failure not in Rollout.OnGateFailure.values:
        raise RolloutRefused("on_gate_failure must be rollback or pause")


def rollout_plan(rollout: Rollout) -> tuple[list[PhasePlan], list[GatePlan]]:
    phases = [PhasePlan(regions=list(p.regions), bake_minutes=p.bake_minutes,
                        start_after=p.start_after) for p in rollout.phases.order_by("index")]
    gates = [GatePlan(kpi=g.kpi, max_regression_pct=g.max_regression_pct)
             for g in rollout.gates.order_by("id")]
    return phases, gates


def rollout_update_plan(
    *,
    rollout_id: int,
    phases: list[PhasePlan],
    gates: list[GatePlan] | None = None,
    on_gate_failure: str | None = None,
    actor: AbstractBaseUser | None,
) -> Rollout:
    """Change a draft or approved plan. Any change voids the approval (it vouched for the old
    plan's digest), so the rollout is a draft again and needs a new approval."""
    user = require_role(actor, Role.EDITOR)
    gates = gates or []
    with transaction.atomic():
        rollout = _locked(rollout_id)
        new_state = transition(Action.EDIT, State(rollout.state))
        failure_policy = on_gate_failure or rollout.on_gate_failure
        _validate_plan(rollout.version, phases, gates, failure_policy)
        errors = [f for f in plan_check(version=rollout.version, phases=phases)
                  if f.severity == "error"]
        if errors:
            raise RolloutRefused("the plan check failed", errors)
        rollout.phases.all().delete()
        rollout.gates.all().delete()
        Phase.objects.bulk_create(
            Phase(rollout=rollout, index=i, regions=p.regions, bake_minutes=p.bake_minutes,
                  start_after=p.start_after) for i, p in enumerate(phases))
        Gate.objects.bulk_create(Gate(rollout=rollout, kpi=g.kpi,
                                      max_regression_pct=g.max_regression_pct) for g in gates)
        voided = rollout.state == State.APPROVED.value
        rollout.state = new_state.value
        rollout.on_gate_failure = failure_policy
        rollout.plan_digest = plan_digest(rollout.version_id, phases, gates, failure_policy)
        rollout.approved_by, rollout.approved_at, rollout.approved_digest = None, None, ""
        rollout.save()
        _record(rollout, "plan_changed",
                f"plan changed by {user.username}" + ("; the approval is void" if voided else ""),
                user, {"phases": [p.regions for p in phases]})
    return rollout


@dataclass(frozen=True)
class _CheckedPlan:
    """A plan check done without holding the rollout's lock (it takes seconds at national
    scale), with what it was done against, so the locked part can confirm nothing moved."""

    digest: str
    newest_activation: int
    errors: list[Finding]


def _check_unlocked(rollout_id: int) -> _CheckedPlan:
    rollout = Rollout.objects.filter(id=rollout_id).select_related("version").first()
    if rollout is None:
        raise RolloutNotFound(f"no rollout {rollout_id}")
    newest = Activation.objects.order_by("-id").values_list("id", flat=True).first() or 0
    phases_plan, gates = rollout_plan(rollout)
    errors = [f for f in plan_check(version=rollout.version, phases=phases_plan)
              if f.severity == "error"]
    return _CheckedPlan(plan_digest(rollout.version_id, phases_plan, gates,
                                    rollout.on_gate_failure), newest, errors)


def _confirm_checked(rollout: Rollout, checked: _CheckedPlan) -> None:
    """Under the lock: the plan and the live network are still what was checked."""
    phases_plan, gates = rollout_plan(rollout)
    digest = plan_digest(rollout.version_id, phases_plan, gates, rollout.on_gate_failure)
    if digest != rollout.plan_digest:
        raise RolloutRefused("the plan changed since it was checked; edit it again")
    if digest != checked.digest:
        raise RolloutRefused("the plan changed while it was being checked; try again")
    newest = Activation.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if newest != checked.newest_activation:
        raise RolloutRefused("the live network changed while the plan was being checked; "
                             "try again")
    if checked.errors:
        raise RolloutRefused("the plan check failed against the live network now",
                             checked.errors)


def rollout_approve(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = require_role(actor, Role.APPROVER)
    checked = _check_unlocked(rollout_id)
    with transaction.atomic():
        rollout = _locked(rollout_id)
        if rollout.created_by_id == user.id:
            raise RolloutRefused("four eyes: the approver must not be the rollout's creator")
        new_state = transition(Action.APPROVE, State(rollout.state))
        _confirm_checked(rollout, checked)
        rollout.state = new_state.value
        rollout.approved_by, rollout.approved_at = user, timezone.now()
        rollout.approved_digest = rollout.plan_digest
        rollout.save(update_fields=["state", "approved_by", "approved_at", "approved_digest"])
        _record(rollout, "approved", f"approved by {user.username}", user,
                {"plan_digest": rollout.plan_digest})
    return rollout


def rollout_start(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = require_role(actor, Role.OPERATOR)
    checked = _check_unlocked(rollout_id)
    with transaction.atomic():
        rollout = _locked(rollout_id)
        new_state = transition(Action.START, State(rollout.state))
        # The approval must cover the stored plan, and the stored plan must be what will run.
        if (not rollout.approved_digest or rollout.approved_digest != rollout.plan_digest
                or checked.digest != rollout.plan_digest):
            raise RolloutRefused("the approval does not cover this plan; approve it again")
        _confirm_checked(rollout, checked)
        latest = latest_activations()
        regions = [r for p in rollout.phases.all() for r in p.regions]
        rollout.baseline = {r: (latest[r].id if r in latest else None) for r in regions}
        rollout.state = new_state.value
        rollout.started_at = timezone.now()
        rollout.next_step_at = rollout.started_at
        rollout.save(update_fields=["state", "baseline", "started_at", "next_step_at"])
        _record(rollout, "started", f"started by {user.username}", user)
        schedule_advance(rollout.id)
    return rollout


def rollout_pause(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = require_role(actor, Role.OPERATOR)
    with transaction.atomic():
        rollout = _locked(rollout_id)
        rollout.state = transition(Action.PAUSE, State(rollout.state)).value
        rollout.next_step_at = None
        rollout.save(update_fields=["state", "next_step_at"])
        _record(rollout, "paused", f"paused by {user.username}", user)
    return rollout


def rollout_resume(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = require_role(actor, Role.OPERATOR)
    with transaction.atomic():
        rollout = _locked(rollout_id)
        rollout.state = transition(Action.RESUME, State(rollout.state)).value
        now = timezone.now()
        # A phase that failed its gates and paused gets its gates judged again on resume.
        rollout.phases.filter(state=PhaseState.FAILED.value).update(
            state=PhaseState.BAKING.value, bake_until=now)
        rollout.next_step_at = now
        rollout.save(update_fields=["state", "next_step_at"])
        _record(rollout, "resumed", f"resumed by {user.username}", user)
        schedule_advance(rollout.id)
    return rollout


def rollout_cancel(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    if not (has_role(actor, Role.EDITOR) or has_role(actor, Role.OPERATOR)):
        raise RoleRequired(Role.EDITOR, actor)
    assert isinstance(actor, User)
    with transaction.atomic():
        rollout = _locked(rollout_id)
        rollout.state = transition(Action.CANCEL, State(rollout.state)).value
        rollout.finished_at = timezone.now()
        rollout.save(update_fields=["state", "finished_at"])
        _record(rollout, "cancelled", f"cancelled by {actor.username}", actor)
    return rollout


def rollout_rollback(*, rollout_id: int, actor: AbstractBaseUser | None, reason: str) -> Rollout:
    """One click: every region the rollout activated goes back to the version it had before
    the rollout (or out of service if it was not live), in one transaction."""
    user = require_role(actor, Role.OPERATOR)
    if not reason.strip():
        raise RolloutRefused("a rollback needs a reason")
    with transaction.atomic():
        rollout = _locked(rollout_id)
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
    _record(rollout, "rolled_back", f"rolled back: {reason}", actor, {"restored": detail})
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


def schedule_advance(rollout_id: int, eta: datetime | None = None) -> None:
    """Ask a worker to look at the rollout after the commit (at `eta` if given)."""
    from rollout.tasks import advance

    def send() -> None:
        try:
            if eta is None:
                advance.delay(rollout_id)
            else:
                advance.apply_async((rollout_id,), eta=eta)
        except Exception:  # the broker is down: the sweep will pick the rollout up
            logger.warning("rollout.enqueue_failed rollout_id=%s", rollout_id, exc_info=True)

    transaction.on_commit(send)


def _locked(rollout_id: int) -> Rollout:
    try:
        return Rollout.objects.select_for_update().get(id=rollout_id)
    except Rollout.DoesNotExist:
        raise RolloutNotFound(f"no rollout {rollout_id}") from None


def _record(rollout: Rollout, kind: str, message: str, actor: User | None,
            details: dict[str, object] | None = None) -> None:
    """The rollout's timeline event and the audit row, in the caller's transaction."""
    RolloutEvent.objects.create(rollout=rollout, kind=kind, message=message, actor=actor,
                                details=details or {})
    audit_record(actor=actor, action=f"rollout.{kind}", object_type="rollout",
                 object_id=str(rollout.id), reason=message, details=details)
