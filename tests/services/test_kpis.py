"""Simulation cache and KPI snapshots: simulated per version, observed from other systems."""

from __future__ import annotations

import math
from typing import Any

import pytest

from rollout.domain.simulate import KPI_NAMES
from rollout.models import AuditEvent, KpiSnapshot, SimulationRun
from rollout.services.kpis import (
    KpiValidationError,
    SimulationRefused,
    kpi_observation_record,
    kpi_snapshot_record_simulated,
    observations_latest,
    simulation_run,
)
from rollout.services.roles import Role, RoleRequired, role_grant
from rollout.services.tokens import token_create
from tests.factories import user_factory, version_factory

pytestmark = pytest.mark.django_db


def test_simulation_run__twice__computed_once_and_cached() -> None:
    version = version_factory()

    first = simulation_run(version=version)
    second = simulation_run(version=version)

    assert first == second
    assert SimulationRun.objects.filter(version=version).count() == 1
    assert set(first["regions"]) == {"NE", "MA", "SE"}
    assert set(first["total"]) == set(KPI_NAMES)
    assert first["total"]["orders"] == 94_000  # the example zones' demand, summed


def test_simulation_run__orders_csv__cached_separately_from_generated_demand() -> None:
    version = version_factory()
    csv = b"order_id,zone,sku\n1,021,5\n1,021,70000\n2,303,1\n"

    replayed = simulation_run(version=version, orders_csv=csv)
    generated = simulation_run(version=version)

    assert replayed["total"]["orders"] == 2
    assert generated["total"]["orders"] == 94_000
    assert SimulationRun.objects.filter(version=version).count() == 2


def test_simulation_run__invalid_version__refused() -> None:
    version = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    with pytest.raises(SimulationRefused):
        simulation_run(version=version)


def test_kpi_snapshot_record_simulated__region__stores_its_kpis() -> None:
    version = version_factory()

    snapshot = kpi_snapshot_record_simulated(version=version, region="NE",
                                             kind=KpiSnapshot.Kind.BEFORE)

    assert snapshot.source == KpiSnapshot.Source.SIMULATION
    assert snapshot.kind == KpiSnapshot.Kind.BEFORE
    assert snapshot.values == simulation_run(version=version)["regions"]["NE"]


def test_kpi_observation_record__valid_values__stored_and_audited() -> None:
    version_factory()
    operator = user_factory("monitor")
    role_grant(user=operator, role=Role.OBSERVER)

    snapshot = kpi_observation_record(region="NE", values={"in_region_pct": 81.5, "trucks": 40},
                                      actor=operator, source_system="monitoring")

    assert snapshot.source == KpiSnapshot.Source.OBSERVED
    assert snapshot.values == {"in_region_pct": 81.5, "trucks": 40}
    assert isinstance(snapshot.values["trucks"], int)
    event = AuditEvent.objects.get(action="kpi.observed")
    assert event.object_id == "NE" and event.actor == operator


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"in_region": 50}, "unknown KPI"),
        ({"in_region_pct": "high"}, "not a number"),
        ({"in_region_pct": True}, "not a number"),
        ({"in_region_pct": math.nan}, "not a finite number"),
        ({"avg_km": math.inf}, "not a finite number"),
        ({"in_region_pct": 100.5}, "over 100"),
        ({"trucks": -1}, "negative"),
        ({"trucks": 2.5}, "not a whole number"),
        ({}, "no KPI values"),
    ],
)
def test_kpi_observation_record__bad_values__refused_and_nothing_stored(
    values: dict[str, Any], complaint: str
) -> None:
    version_factory()

    with pytest.raises(KpiValidationError) as caught:
        kpi_observation_record(region="NE", values=values)

    assert complaint in str(caught.value)
    assert KpiSnapshot.objects.count() == 0


def test_kpi_observation_record__unknown_region__refused() -> None:
    version_factory()

    with pytest.raises(KpiValidationError, match="unknown region"):
        kpi_observation_record(region="XX", values={"trucks": 3})


# --- who may post observations, and what is kept of them -------------------------------------


@pytest.mark.parametrize("role", [None, Role.VIEWER, Role.EDITOR, Role.APPROVER])
def test_kpi_observation_record__actor_neither_observer_nor_operator__refused_nothing_stored(
        role: Role | None) -> None:
    # Given someone who does not watch production (an editor, whose changes gates judge)
    version_factory()
    actor = user_factory("someone")
    if role is not None:
        role_grant(user=actor, role=role)

    # When they record an observation
    with pytest.raises(RoleRequired, match="observer or operator"):
        kpi_observation_record(region="NE", values={"in_region_pct": 0.5}, actor=actor)

    # Then nothing is stored or audited
    assert not KpiSnapshot.objects.exists()
    assert not AuditEvent.objects.filter(action="kpi.observed").exists()


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.OPERATOR])
def test_kpi_observation_record__observer_or_operator_with_a_token__token_kept(
        role: Role) -> None:
    version_factory()
    actor = user_factory("monitor")
    token, _ = token_create(user=actor, role=role)

    snapshot = kpi_observation_record(region="NE", values={"trucks": 4}, actor=actor,
                                      source_system="prometheus", token_id=token.id)

    snapshot.refresh_from_db()
    assert snapshot.token == token and snapshot.source_system == "prometheus"
    event = AuditEvent.objects.get(action="kpi.observed")
    assert event.details["token_id"] == token.id


def test_kpi_observation_record__token_revoked_and_deleted__observation_kept() -> None:
    version_factory()
    actor = user_factory("monitor")
    token, _ = token_create(user=actor, role=Role.OBSERVER)
    snapshot = kpi_observation_record(region="NE", values={"trucks": 4}, actor=actor,
                                      token_id=token.id)

    token.delete()

    snapshot.refresh_from_db()
    assert snapshot.token is None and snapshot.values == {"trucks": 4}


def test_kpi_observation_record__nul_in_the_source__refused_naming_it() -> None:
    version_factory()

    with pytest.raises(KpiValidationError, match="source contains a NUL character"):
        kpi_observation_record(region="NE", values={"trucks": 1}, source_system="mon\x00")

    assert not KpiSnapshot.objects.exists()


def test_observations_latest__two_posts__each_kpi_from_the_latest_that_has_it() -> None:
    # Given two observations of NE: trucks and in-region share, then trucks again
    version_factory()
    first = kpi_observation_record(region="NE", values={"trucks": 4, "in_region_pct": 90.0})
    second = kpi_observation_record(region="NE", values={"trucks": 5})

    # When the latest values are read
    latest = observations_latest("NE")

    # Then each KPI comes with the observation it came from
    assert (latest["trucks"].value, latest["trucks"].snapshot) == (5, second)
    assert (latest["in_region_pct"].value, latest["in_region_pct"].snapshot) == (90.0, first)
