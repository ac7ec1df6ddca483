"""`manage.py design_regions`: the JSON contract on the east-coast example and the demo network,
text output, and exit statuses (DESIGN sections 9 and 11)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rollout.demo import demo_bundles
from rollout.management.output import EXIT_REFUSED, EXIT_UNUSABLE
from rollout.models import Version
from rollout.services.roles import Role, role_grant
from rollout.services.versions import version_create
from tests.factories import user_factory, version_factory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("design_regions", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_design_regions__east_coast_json__regions_and_kpis_of_the_contract() -> None:
    # Given the east-coast example stored
    version = version_factory("east coast")

    # When
    status, out, _ = _run(version.id, "--regions", "2", "--headroom", "0.1", "--contiguous",
                          "--format", "json")

    # Then
    assert status == 0
    payload = json.loads(out)
    assert {"regions", "kpis"} <= set(payload)
    assert len(payload["regions"]) == 2
    for region in payload["regions"]:
        assert set(region) == {"code", "name", "zones", "facilities", "demand", "capacity"}
    assert set(payload["kpis"]) == {"base", "proposal", "delta"}
    assert set(payload["kpis"]["base"]["regions"]) == {"NE", "MA", "SE"}
    assert payload["violations"] == []


def test_design_regions__demo_network_k8__eight_contiguous_regions_within_capacity() -> None:
    # Given the demo's all-eight version (904 zones, 32 FCs)
    files = next(d for d in demo_bundles() if d.name == "all-eight").files
    version = version_create(files=dict(files), message="demo").version

    # When
    status, out, _ = _run(version.id, "--regions", "8", "--contiguous", "--headroom", "0.1",
                          "--format", "json")

    # Then: eight regions covering the 904 zones, each within its capacity less 10%
    assert status == 0
    payload = json.loads(out)
    assert len(payload["regions"]) == 8
    assert sum(len(region["zones"]) for region in payload["regions"]) == 904
    assert payload["violations"] == []
    for region in payload["regions"]:
        assert region["demand"] <= 0.9 * region["capacity"]
    total = payload["kpis"]["proposal"]["total"]
    assert total["orders"] == payload["kpis"]["base"]["total"]["orders"]
    assert total["in_region_pct"] > 0


def test_design_regions__text__regions_then_kpi_table() -> None:
    # Given
    version = version_factory("east coast")

    # When
    status, out, _ = _run(version.id, "--regions", "3")

    # Then
    assert status == 0
    assert "3 regions for version" in out
    assert "TOTAL" in out and "before" in out and "after" in out


@pytest.mark.parametrize(("args", "expected", "message"), [
    (("--regions", "3", "--keep", "NE,XX"), EXIT_UNUSABLE, "XX"),
    (("--regions", "9"), EXIT_UNUSABLE, "fulfilment centre"),
    (("--regions", "3", "--headroom", "1.5"), EXIT_UNUSABLE, "--headroom"),
    (("--regions", "3", "--max-moves", "-2"), EXIT_UNUSABLE, "--max-moves"),
])
def test_design_regions__unusable_arguments__exit_2_naming_them(
        args: tuple[str, ...], expected: int, message: str) -> None:
    # Given
    version = version_factory("east coast")

    # When
    status, _, error = _run(version.id, *args)

    # Then
    assert status == expected
    assert message in error


def test_design_regions__unknown_version__exit_2() -> None:
    status, _, error = _run("ffffffffffff", "--regions", "3")

    assert status == EXIT_UNUSABLE
    assert "ffffffffffff" in error


def test_design_regions__version_with_errors__exit_1() -> None:
    # Given a version with an error
    version = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    # When
    status, _, error = _run(version.id, "--regions", "2")

    # Then
    assert status == EXIT_REFUSED
    assert "error" in error


def test_design_regions__save_as_editor__new_version_id_alone_on_the_last_line() -> None:
    # Given the east-coast example and an editor
    version = version_factory("east coast")
    role_grant(user=user_factory("designer"), role=Role.EDITOR)

    # When
    status, out, _ = _run(version.id, "--regions", "3", "--contiguous", "--save",
                          "--message", "Proposed regions", "--as", "designer")

    # Then: the last line is the child version's id
    assert status == 0
    saved = Version.objects.get(id=out.strip().splitlines()[-1])
    assert saved.parent_id == version.id
    assert saved.message == "Proposed regions"
    assert saved.valid


def test_design_regions__save_json__payload_then_id() -> None:
    # Given
    version = version_factory("east coast")
    role_grant(user=user_factory("designer"), role=Role.EDITOR)

    # When
    status, out, _ = _run(version.id, "--regions", "2", "--format", "json", "--save",
                          "--message", "Two regions", "--as", "designer")

    # Then: the JSON names the saved version, which is also alone on the last line
    assert status == 0
    body, last = out.rstrip().rsplit("\n", 1)
    assert json.loads(body)["saved_version"] == last


@pytest.mark.parametrize(("args", "message"), [
    (("--save", "--as", "designer"), "--message"),
    (("--save", "--message", "m"), "--as"),
    (("--message", "m"), "only go with --save"),
    (("--save", "--message", "m", "--as", "nobody"), "nobody"),
])
def test_design_regions__save_arguments_missing__exit_2(args: tuple[str, ...],
                                                         message: str) -> None:
    # Given
    version = version_factory("east coast")
    user_factory("designer")

    # When
    status, _, error = _run(version.id, "--regions", "2", *args)

    # Then
    assert status == EXIT_UNUSABLE
    assert message in error


def test_design_regions__save_by_a_viewer__exit_1_nothing_stored() -> None:
    # Given a user without the editor role
    version = version_factory("east coast")
    user_factory("viewer")
    count = Version.objects.count()

    # When
    status, _, _ = _run(version.id, "--regions", "2", "--save", "--message", "m",
                        "--as", "viewer")

    # Then
    assert status == EXIT_REFUSED
    assert Version.objects.count() == count


def test_design_regions__sweep_json__the_proposal_and_one_row_per_k() -> None:
    # Given the east-coast example
    version = version_factory("east coast")

    # When K = 2 is asked for with a sweep over 1..3
    status, out, _ = _run(version.id, "--regions", "2", "--sweep", "1-3", "--format", "json")

    # Then the proposal is K = 2's, and the sweep has one row per K with the KPIs to compare
    assert status == 0
    payload = json.loads(out)
    assert len(payload["regions"]) == 2
    assert [row["regions"] for row in payload["sweep"]] == [1, 2, 3]
    for row in payload["sweep"]:
        assert {"in_region_pct", "trucks", "fill_pct", "avg_km", "max_capacity_use_pct",
                "moved_zones", "violations", "seconds"} <= set(row)
    assert payload["sweep"][1]["avg_km"] == payload["kpis"]["proposal"]["total"]["avg_km"]


def test_design_regions__sweep_text__a_table_row_per_k() -> None:
    version = version_factory("east coast")

    status, out, _ = _run(version.id, "--regions", "2", "--sweep", "1-3")

    assert status == 0
    lines = out.splitlines()
    header = next(index for index, line in enumerate(lines) if "max cap. use %" in line)
    assert "in-region %" in lines[header] and "avg km" in lines[header]
    assert [line.split()[0] for line in lines[header + 1:header + 4]] == ["1", "2", "3"]


@pytest.mark.parametrize(("sweep", "message"), [
    ("4", "A-B such as 4-12"), ("12-4", "A <= B"), ("1-40", "at most 16"),
    ("2-9", "fulfilment centre"),
])
def test_design_regions__unusable_sweep__exit_2_saying_what(sweep: str, message: str) -> None:
    version = version_factory("east coast")

    status, _, error = _run(version.id, "--regions", "2", "--sweep", sweep)

    assert status == EXIT_UNUSABLE
    assert message in error
