"""The data of the integration scenarios: people with roles, two east-coast versions, a live
baseline, and a rollout taken through create, four-eyes approval and start by the services."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from rollout.domain.lifecycle import State
from rollout.models import Activation, Rollout, Version
from rollout.services.activations import activation_create
from rollout.services.live_network import latest_activations
from rollout.services.roles import Role, role_grant
from rollout.services.rollouts import (
    GatePlan,
    PhasePlan,
    rollout_approve,
    rollout_create,
    rollout_start,
)
from tests.factories import user_factory, version_factory

REGIONS = ("NE", "MA", "SE")
BAKE_MINUTES = 0.03  # about 1.8 s


@dataclass(frozen=True)
class People:
    planner: User  # editor: creates rollouts
    approver: User  # approver: the second pair of eyes
    operator: User  # operator: starts and rolls back


def people() -> People:
    users = {}
    for name, role in (("planner", Role.EDITOR), ("approver", Role.APPROVER),
                       ("operator", Role.OPERATOR)):
        users[name] = user_factory(name)
        role_grant(user=users[name], role=role)
    return People(**users)


def east_coast_versions() -> tuple[Version, Version]:
    """(the live baseline, the new version): the east-coast example and a copy that differs
    in a comment only, so its KPIs equal the baseline's and gates on simulations pass."""
    baseline = version_factory("east coast, baseline")
    new = version_factory("east coast, next", regions=("# Three regions.", "# Three regions (v2)."))
    assert baseline.valid and new.valid and baseline.id != new.id
    return baseline, new


def baseline_live(version: Version) -> dict[str, Activation]:
    """Every east-coast region live on `version`, as if an earlier rollout had completed."""
    with transaction.atomic():
        activation_create(regions=list(REGIONS), version=version, kind=Activation.Kind.ACTIVATE,
                          actor=None, reason="integration test baseline")
    return latest_activations()


def rollout_started(
    who: People,
    version: Version,
    *,
    phases: tuple[tuple[str, ...], ...] = (("NE",), ("MA",), ("SE",)),
    bake_minutes: float = BAKE_MINUTES,
    gates: tuple[GatePlan, ...] = (GatePlan(kpi="in_region_pct", max_regression_pct=2.0),),
    on_gate_failure: str = Rollout.OnGateFailure.ROLLBACK,
) -> Rollout:
    """Created by the planner, approved by someone else, started by the operator."""
    rollout = rollout_create(
        version=version,
        phases=[PhasePlan(regions=list(p), bake_minutes=bake_minutes) for p in phases],
        gates=list(gates), on_gate_failure=on_gate_failure, actor=who.planner)
    rollout_approve(rollout_id=rollout.id, actor=who.approver)
    return rollout_start(rollout_id=rollout.id, actor=who.operator)


def rollout_fresh(rollout_id: int) -> Rollout:
    return Rollout.objects.get(id=rollout_id)


def rollout_if_finished(rollout_id: int) -> Rollout | None:
    """The rollout once it has left `running` (for `wait_for`), else None."""
    rollout = rollout_fresh(rollout_id)
    return None if rollout.state == State.RUNNING else rollout


def activations_by_region(rollout: Rollout, kind: str) -> Counter[str]:
    """How many activations of `kind` the rollout wrote, per region."""
    return Counter(Activation.objects.filter(rollout=rollout, kind=kind)
                   .values_list("region", flat=True))


def phase_states(rollout: Rollout) -> list[str]:
    return list(rollout.phases.order_by("index").values_list("state", flat=True))


def live_versions() -> dict[str, str | None]:
    return {region: a.version_id for region, a in latest_activations().items()}
