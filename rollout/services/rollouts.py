"""Rollouts: create and re-plan, approval (four eyes), start, pause, resume, cancel.

Every state change is one function, one transaction: lock the rollout row, ask the state
machine, write the change with its event and audit row, and enqueue follow-up work on commit.
Plans and the plan check are `rollout.services.plans`, rollbacks `rollout.services.rollbacks`,
the lock, timeline and scheduling they share `rollout.services.timeline`; the engine that runs
phases is `rollout.services.engine`. This module re-exports the names callers import from it.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from rollout.domain.lifecycle import Action, PhaseState, State, transition
from rollout.models import Gate, Phase, Rollout, Version
from rollout.services.live_network import latest_activations
from rollout.services.plans import (
    FourEyesViolation,
    GatePlan,
    PhasePlan,
    PlanRejected,
    RolloutNotFound,
    RolloutRefused,
    plan_check,
    plan_check_confirm,
    plan_check_unlocked,
    plan_digest,
    plan_read,
    plan_validate,
)
from rollout.services.roles import CANCEL_ROLES, Role, role_require, role_require_any
from rollout.services.rollbacks import rollback_errors, rollout_rollback, rollout_rollback_locked
from rollout.services.timeline import rollout_advance_schedule, rollout_event_record, rollout_lock

__all__ = [
    "FourEyesViolation",
    "GatePlan",
    "PhasePlan",
    "PlanRejected",
    "RolloutNotFound",
    "RolloutRefused",
    "plan_check",
    "plan_digest",
    "plan_read",
    "rollback_errors",
    "rollout_advance_schedule",
    "rollout_approve",
    "rollout_cancel",
    "rollout_create",
    "rollout_pause",
    "rollout_resume",
    "rollout_rollback",
    "rollout_rollback_locked",
    "rollout_start",
    "rollout_update_plan",
]


def rollout_create(
    *,
    version: Version,
    phases: list[PhasePlan],
    gates: list[GatePlan] | None = None,
    on_gate_failure: str = Rollout.OnGateFailure.ROLLBACK,
    actor: AbstractBaseUser | None,
) -> Rollout:
    """A draft rollout, after the plan check passes."""
    user = role_require(user=actor, role=Role.EDITOR)
    gates = gates or []
    _plan_vouch(version=version, phases=phases, gates=gates, on_gate_failure=on_gate_failure)
    with transaction.atomic():
        rollout = Rollout.objects.create(
            version=version, created_by=user, on_gate_failure=on_gate_failure,
            plan_digest=plan_digest(version_id=version.id, phases=phases, gates=gates,
                                    on_gate_failure=on_gate_failure))
        _plan_rows_create(rollout=rollout, phases=phases, gates=gates)
        rollout_event_record(rollout=rollout, kind="created",
                             message=f"created by {user.username} for version {version.id}",
                             actor=user, details={"phases": [p.regions for p in phases]})
    return rollout


def _plan_vouch(*, version: Version, phases: list[PhasePlan], gates: list[GatePlan],
                on_gate_failure: str) -> None:
    """Refuse a plan that is malformed (`plan_validate`) or whose check finds errors."""
    plan_validate(version=version, phases=phases, gates=gates, on_gate_failure=on_gate_failure)
    errors = [f for f in plan_check(version=version, phases=phases) if f.severity == "error"]
    if errors:
        raise PlanRejected("the plan check failed", errors)


def _plan_rows_create(*, rollout: Rollout, phases: list[PhasePlan],
                      gates: list[GatePlan]) -> None:
    """The plan's phase and gate rows of a rollout (created, or re-created after an edit)."""
    Phase.objects.bulk_create(
        Phase(rollout=rollout, index=i, regions=p.regions, bake_minutes=p.bake_minutes,
              start_after=p.start_after) for i, p in enumerate(phases))
    Gate.objects.bulk_create(Gate(rollout=rollout, kpi=g.kpi, query=g.query,
                                  max_regression_pct=g.max_regression_pct) for g in gates)


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
    user = role_require(user=actor, role=Role.EDITOR)
    gates = gates or []
    with transaction.atomic():
        rollout = rollout_lock(rollout_id=rollout_id)
        new_state = transition(Action.EDIT, State(rollout.state))
        failure_policy = on_gate_failure or rollout.on_gate_failure
        _plan_vouch(version=rollout.version, phases=phases, gates=gates,
                    on_gate_failure=failure_policy)
        rollout.phases.all().delete()
        rollout.gates.all().delete()
        _plan_rows_create(rollout=rollout, phases=phases, gates=gates)
        voided = rollout.state == State.APPROVED.value
        rollout.state = new_state.value
        rollout.on_gate_failure = failure_policy
        rollout.plan_digest = plan_digest(version_id=rollout.version_id, phases=phases, gates=gates,
                                          on_gate_failure=failure_policy)
        rollout.approved_by, rollout.approved_at, rollout.approved_digest = None, None, ""
        rollout.save()
        rollout_event_record(rollout=rollout, kind="plan_changed",
                             message=f"plan changed by {user.username}"
                                     + ("; the approval is void" if voided else ""), actor=user,
                             details={"phases": [p.regions for p in phases]})
    return rollout


def rollout_approve(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = role_require(user=actor, role=Role.APPROVER)
    checked = plan_check_unlocked(rollout_id=rollout_id)
    with transaction.atomic():
        rollout = rollout_lock(rollout_id=rollout_id)
        if rollout.created_by_id == user.id:
            raise FourEyesViolation("four eyes: the approver must not be the rollout's creator")
        new_state = transition(Action.APPROVE, State(rollout.state))
        plan_check_confirm(rollout=rollout, checked=checked)
        rollout.state = new_state.value
        rollout.approved_by, rollout.approved_at = user, timezone.now()
        rollout.approved_digest = rollout.plan_digest
        rollout.save(update_fields=["state", "approved_by", "approved_at", "approved_digest"])
        rollout_event_record(rollout=rollout, kind="approved",
                             message=f"approved by {user.username}", actor=user,
                             details={"plan_digest": rollout.plan_digest})
    return rollout


def rollout_start(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = role_require(user=actor, role=Role.OPERATOR)
    checked = plan_check_unlocked(rollout_id=rollout_id)
    with transaction.atomic():
        rollout = rollout_lock(rollout_id=rollout_id)
        new_state = transition(Action.START, State(rollout.state))
        # The approval must cover the stored plan, and the stored plan must be what will run.
        if (not rollout.approved_digest or rollout.approved_digest != rollout.plan_digest
                or checked.digest != rollout.plan_digest):
            raise RolloutRefused("the approval does not cover this plan; approve it again")
        plan_check_confirm(rollout=rollout, checked=checked)
        latest = latest_activations()
        regions = [r for p in rollout.phases.all() for r in p.regions]
        rollout.baseline = {r: (latest[r].id if r in latest else None) for r in regions}
        rollout.state = new_state.value
        rollout.started_at = timezone.now()
        rollout.next_step_at = rollout.started_at
        rollout.save(update_fields=["state", "baseline", "started_at", "next_step_at"])
        rollout_event_record(rollout=rollout, kind="started", message=f"started by {user.username}",
                             actor=user)
        rollout_advance_schedule(rollout_id=rollout.id)
    return rollout


def rollout_pause(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = role_require(user=actor, role=Role.OPERATOR)
    with transaction.atomic():
        rollout = rollout_lock(rollout_id=rollout_id)
        rollout.state = transition(Action.PAUSE, State(rollout.state)).value
        rollout.next_step_at = None
        rollout.save(update_fields=["state", "next_step_at"])
        rollout_event_record(rollout=rollout, kind="paused", message=f"paused by {user.username}",
                             actor=user)
    return rollout


def rollout_resume(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = role_require(user=actor, role=Role.OPERATOR)
    with transaction.atomic():
        rollout = rollout_lock(rollout_id=rollout_id)
        rollout.state = transition(Action.RESUME, State(rollout.state)).value
        now = timezone.now()
        # A phase that failed its gates and paused gets its gates judged again on resume.
        rollout.phases.filter(state=PhaseState.FAILED.value).update(
            state=PhaseState.BAKING.value, bake_until=now)
        rollout.next_step_at = now
        rollout.save(update_fields=["state", "next_step_at"])
        rollout_event_record(rollout=rollout, kind="resumed", message=f"resumed by {user.username}",
                             actor=user)
        rollout_advance_schedule(rollout_id=rollout.id)
    return rollout


def rollout_cancel(*, rollout_id: int, actor: AbstractBaseUser | None) -> Rollout:
    user = role_require_any(user=actor, roles=CANCEL_ROLES)
    with transaction.atomic():
        rollout = rollout_lock(rollout_id=rollout_id)
        rollout.state = transition(Action.CANCEL, State(rollout.state)).value
        rollout.finished_at = timezone.now()
        rollout.save(update_fields=["state", "finished_at"])
        rollout_event_record(rollout=rollout, kind="cancelled",
                             message=f"cancelled by {user.username}", actor=user)
    return rollout
