"""The demo tells the story of DESIGN section 1, measured by the simulator on its own.

National routing: about 62% of orders in region, many half-empty long-haul trucks.
Northeast and Mid-Atlantic regionalised: those two regions improve, the other six stay put.
All eight regionalised: 75% or more in region, fewer lanes and trucks, fuller trucks.
"""

from __future__ import annotations

import pytest

from rollout.domain.simulate import SimulationResult, simulate
from rollout.domain.validate import ValidationReport

pytestmark = pytest.mark.slow  # three national-scale simulations, a few seconds


@pytest.fixture(scope="module")
def results(reports: dict[str, ValidationReport]) -> dict[str, SimulationResult]:
    out = {}
    for name, report in reports.items():
        assert report.bundle is not None
        out[name] = simulate(report.bundle)
    return out


def _total(results: dict[str, SimulationResult], kpi: str) -> list[float]:
    return [float(results[name].total[kpi]) for name in ("national", "ne-ma", "all-eight")]


def test_story__in_region_share__rises_from_about_62_to_75_or_more(
        results: dict[str, SimulationResult]) -> None:
    national, ne_ma, all_eight = _total(results, "in_region_pct")

    assert 55 <= national <= 68
    assert national < ne_ma < all_eight
    assert all_eight >= 75


def test_story__trucks_lanes_distance__fall_and_fill_rises(
        results: dict[str, SimulationResult]) -> None:
    trucks, lanes = _total(results, "trucks"), _total(results, "active_lanes")
    km, fill = _total(results, "avg_km"), _total(results, "fill_pct")

    assert trucks[0] > trucks[1] > trucks[2]
    assert lanes[0] > lanes[1] > lanes[2]
    assert km[0] > km[1] > km[2]
    assert fill[0] < fill[1] < fill[2]


def test_story__every_order__is_fulfilled(results: dict[str, SimulationResult]) -> None:
    assert all(r.total["orders"] == 1_000_000 for r in results.values())
    assert all(r.total["unfulfilled_items"] == 0 for r in results.values())


def test_story__ne_ma_version__improves_ne_and_ma_and_leaves_the_others(
        results: dict[str, SimulationResult]) -> None:
    national, ne_ma = results["national"].regions, results["ne-ma"].regions

    for code in ("NE", "MA"):
        assert ne_ma[code]["in_region_pct"] >= national[code]["in_region_pct"] + 10
        assert ne_ma[code]["trucks"] < national[code]["trucks"]
        assert ne_ma[code]["avg_km"] < national[code]["avg_km"]
    for code in ("SE", "GL", "CE", "SC", "MT", "PC"):
        assert abs(ne_ma[code]["in_region_pct"] - national[code]["in_region_pct"]) < 1.0


def test_story__all_eight__every_region_improves_on_national(
        results: dict[str, SimulationResult]) -> None:
    national, all_eight = results["national"].regions, results["all-eight"].regions

    for code, kpis in all_eight.items():
        assert kpis["in_region_pct"] >= 75, code
        assert kpis["in_region_pct"] > national[code]["in_region_pct"] + 10, code
        assert kpis["trucks"] < national[code]["trucks"], code
        assert kpis["avg_km"] < national[code]["avg_km"], code
