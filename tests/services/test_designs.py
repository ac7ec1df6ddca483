"""Region design for a stored version: the proposal and its KPIs beside the base version's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from rollout.domain.design.frame import DesignError
from rollout.domain.simulate import KPI_NAMES
from rollout.domain.validate import validate_files
from rollout.models import Version
from rollout.selectors.versions import version_bundle
from rollout.services.designs import DesignRefused, region_design, region_design_save
from rollout.services.kpis import SimulationRefused, simulation_run
from rollout.services.roles import Role, RoleRequired, role_grant
from tests.factories import user_factory, version_factory

pytestmark = pytest.mark.django_db


def test_region_design__east_coast__regions_cover_the_network_and_kpis_compare() -> None:
    # Given the east-coast example stored as a version
    version = version_factory("east coast")

    # When
    outcome = region_design(version=version, regions=3, contiguous=True, headroom=0.1)

    # Then: three regions holding every zone once, and both sides simulated on the same day
    payload = outcome.as_dict()
    zones = sorted(z for region in payload["regions"] for z in region["zones"])
    assert len(zones) == len(set(zones)) == 11
    assert set(payload["kpis"]) == {"base", "proposal", "delta"}
    base, proposal = payload["kpis"]["base"], payload["kpis"]["proposal"]
    assert base["total"]["orders"] == proposal["total"]["orders"] > 0
    assert set(proposal["regions"]) == {region["code"] for region in payload["regions"]}
    assert set(proposal["total"]) == set(KPI_NAMES)
    assert payload["kpis"]["delta"]["total"]["orders"] == 0
    # the base side is the version's own simulation
    assert base == simulation_run(version=version)


def test_region_design__keep_all_but_one__kept_regions_unchanged() -> None:
    # Given the east-coast example
    version = version_factory("east coast")

    # When NE and MA are kept
    outcome = region_design(version=version, regions=3, keep=("NE", "MA"))

    # Then: their zones and facilities as in the version, and no zone moved
    regions = {r.code: r for r in outcome.design.regions}
    assert regions["NE"].facilities == tuple(sorted(
        ["FC-EWR4", "FC-BOS7", "SC-EWR2", "DS-EWR9", "DS-BOS1", "DS-NYC3"]))
    assert outcome.design.moved_zones == []
    assert set(regions) == {"NE", "MA", "SE"}


def test_region_design__version_with_errors__refused() -> None:
    # Given a version with an error
    version = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    # When / Then
    with pytest.raises(SimulationRefused):
        region_design(version=version, regions=2)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"regions": 3, "time_limit": 0}, "time limit"),
    ({"regions": 3, "time_limit": 1000}, "time limit"),
    ({"regions": 6}, "fulfilment centre"),
])
def test_region_design__unusable_arguments__design_error(arguments: dict[str, object],
                                                          message: str) -> None:
    # Given
    version = version_factory("east coast")

    # When / Then
    with pytest.raises(DesignError, match=message):
        region_design(version=version, **arguments)  # type: ignore[arg-type]  # from the table


def _editor(name: str = "designer") -> User:
    user = user_factory(name)
    role_grant(user=user, role=Role.EDITOR)
    return user


def test_region_design_save__editor__child_version_valid_and_simulating_as_proposed() -> None:
    # Given a proposal for the east-coast example
    version = version_factory("east coast")
    outcome = region_design(version=version, regions=3, contiguous=True)

    # When an editor saves it
    saved = region_design_save(outcome=outcome, message="Three proposed regions",
                               author=_editor())

    # Then: a valid child of the version whose simulation is the proposal's KPIs
    assert saved.parent_id == version.id
    assert saved.valid
    assert simulation_run(version=saved) == outcome.kpis["proposal"]
    bundle = version_bundle(version=saved)
    assert bundle is not None
    assert {r.code for r in bundle.regions.regions} == {r.code for r in outcome.design.regions}


def test_region_design_save__viewer__refused_and_nothing_stored() -> None:
    # Given a proposal and a user without the editor role
    version = version_factory("east coast")
    outcome = region_design(version=version, regions=2)
    count = Version.objects.count()

    # When / Then
    with pytest.raises(RoleRequired):
        region_design_save(outcome=outcome, message="nope", author=user_factory("viewer"))
    assert Version.objects.count() == count


def test_region_design_save__proposal_with_errors__refused_naming_them() -> None:
    # Given a proposal whose files, edited by hand, have an error
    version = version_factory("east coast")
    outcome = region_design(version=version, regions=2)
    outcome.findings = validate_files({**outcome.files, "routing.yaml": (
        b'routes:\n  - region: NOPE\n    fcs: nearest\n')}).findings

    # When / Then
    with pytest.raises(DesignRefused) as raised:
        region_design_save(outcome=outcome, message="broken", author=_editor())
    assert raised.value.findings
