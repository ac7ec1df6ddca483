"""`manage.py simulate`: KPIs as text or JSON, baselines, CSV replay, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollout.domain.simulate import KPI_NAMES
from tests.commands.test_bundle_commands import run, write_bundle
from tests.factories import EAST_COAST, east_coast_files


def test_simulate__bundle_path_json__total_and_regions() -> None:
    status, out, _ = run("simulate", str(EAST_COAST), "--format", "json")

    payload = json.loads(out)
    assert status == 0
    assert set(payload) == {"total", "regions"}
    assert set(payload["total"]) == set(KPI_NAMES)
    assert set(payload["regions"]) == {"NE", "MA", "SE"}


def test_simulate__text__a_row_per_kpi_and_a_column_per_region() -> None:
    status, out, _ = run("simulate", str(EAST_COAST))

    lines = out.splitlines()
    assert status == 0
    assert lines[0].split() == ["KPI", "TOTAL", "MA", "NE", "SE"]
    assert any(line.startswith("in-region %") for line in lines)


def test_simulate__baseline__json_has_baseline_and_delta(tmp_path: Path) -> None:
    moved = write_bundle(tmp_path / "moved", east_coast_files(regions=(
        'zones: ["150-219"]', 'zones: ["150-219", "270-289"]')) | {
        "regions.yaml": east_coast_files(regions=(
            'zones: ["150-219"]', 'zones: ["150-219", "270-289"]'))["regions.yaml"].replace(
            b'"270-319"', b'"290-319"')})

    status, out, _ = run("simulate", str(moved), "--baseline", str(EAST_COAST), "--format",
                         "json")

    payload = json.loads(out)
    assert status == 0
    assert set(payload) == {"total", "regions", "baseline", "delta"}
    ma = payload["regions"]["MA"]["orders"] - payload["baseline"]["regions"]["MA"]["orders"]
    assert payload["delta"]["regions"]["MA"]["orders"] == ma == 5_000  # Charlotte moved in


def test_simulate__baseline_text__before_after_delta_table(tmp_path: Path) -> None:
    status, out, _ = run("simulate", str(EAST_COAST), "--baseline", str(EAST_COAST))

    assert status == 0
    assert out.splitlines()[0].split() == ["TOTAL", "before", "after", "delta"]


def test_simulate__orders_csv__replayed(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,zone,sku\na,021,1\na,021,2\nb,303,3\n")

    status, out, _ = run("simulate", str(EAST_COAST), "--orders", str(orders), "--format", "json")

    assert status == 0
    assert json.loads(out)["total"]["orders"] == 2


def test_simulate__bad_orders_csv__exit_1_with_the_row(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,zone,sku\na,021,1\nb,999,3\n")

    status, _, err = run("simulate", str(EAST_COAST), "--orders", str(orders))

    assert status == 1
    assert "row 3" in err and "999" in err


def test_simulate__invalid_bundle__exit_1(tmp_path: Path) -> None:
    broken = write_bundle(tmp_path / "b", east_coast_files(
        network=("station: DS-ATL2", "station: DS-NOPE")))

    status, _, err = run("simulate", str(broken))

    assert status == 1
    assert "E110" in err


@pytest.mark.django_db
def test_simulate__stored_version__by_id_prefix() -> None:
    _, out, _ = run("import_config", str(EAST_COAST), "-m", "x")
    version_id = out.strip().splitlines()[-1]

    status, out, _ = run("simulate", version_id[:6], "--format", "json")

    assert status == 0
    assert json.loads(out)["total"]["orders"] == 94_000


@pytest.mark.django_db
def test_simulate__unknown_target__exit_2() -> None:
    status, _, _ = run("simulate", "nothing-here")

    assert status == 2


def test_simulate__bundle_demand_beyond_the_work_bound__exit_1_saying_the_limit(
        tmp_path: Path) -> None:
    """Issue 12: bounds live where demand is generated, so the command gets them too (it was a
    21 s, 4.9 GB run at 40 items per order on a national bundle)."""
    heavy = write_bundle(tmp_path / "heavy", east_coast_files(
        demand=("items_per_order: 1.6", "items_per_order: 60")))

    status, out, err = run("simulate", str(heavy), "--format", "json")

    assert status == 1 and out == ""
    assert "demand.yaml.items_per_order: 60 items per order x 94,000 orders" in err
    assert "at most 5,000,000 items" in err
