"""rollout.services.design_sweep: the K sweep (one row per K, the base computed once, the K asked
for reused), its range syntax, and its bounds."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.domain.design.frame import DesignError
from rollout.services import design_sweep
from rollout.services.design_sweep import MAX_SWEEP, region_design_sweep, sweep_range
from rollout.services.designs import region_design
from tests.factories import version_factory

pytestmark = pytest.mark.django_db

ROW_KEYS = {"regions", "in_region_pct", "trucks", "fill_pct", "avg_km", "max_capacity_use_pct",
            "moved_zones", "violations", "seconds", "skipped"}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """The base computations and the proposals the sweep makes, recorded (and still made)."""
    seen: dict[str, list[Any]] = {"base": [], "proposals": []}
    base, propose = design_sweep.design_base, design_sweep.design_propose_for

    def counted_base(**kwargs: Any) -> Any:
        seen["base"].append(kwargs["version"].id)
        return base(**kwargs)

    def counted_propose(**kwargs: Any) -> Any:
        seen["proposals"].append(kwargs["request"].regions)
        return propose(**kwargs)

    monkeypatch.setattr(design_sweep, "design_base", counted_base)
    monkeypatch.setattr(design_sweep, "design_propose_for", counted_propose)
    return seen


@pytest.mark.parametrize(("text", "expected"), [
    ("4-12", range(4, 13)), ("3-3", range(3, 4)), (" 1 - 16 ", range(1, 17)),
])
def test_sweep_range__a_to_b__both_included(text: str, expected: range) -> None:
    assert sweep_range(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("4", "A-B such as 4-12"), ("4-", "A-B such as 4-12"), ("a-b", "A-B such as 4-12"),
    ("4..12", "A-B such as 4-12"), ("-4-12", "A-B such as 4-12"),
    ("12-4", "A <= B"), ("0-3", "at least 1"),
    ("1-17", f"at most {MAX_SWEEP}"),
])
def test_sweep_range__malformed_or_too_wide__design_error_saying_what(text: str,
                                                                       message: str) -> None:
    with pytest.raises(DesignError) as refused:
        sweep_range(text)

    assert message in str(refused.value)


def test_region_design_sweep__k_inside__one_row_per_k_base_once_k_reused(
        calls: dict[str, list[Any]]) -> None:
    # Given the east-coast example (four FCs)
    version = version_factory("east coast")

    # When K = 2 is asked for with a sweep over 1..3
    outcome = region_design_sweep(version=version, regions=2, sweep=range(1, 4), headroom=0.1)

    # Then one row per K, in order, each with every column
    rows = outcome.sweep
    assert rows is not None and [row["regions"] for row in rows] == [1, 2, 3]
    assert all(set(row) == ROW_KEYS and not row["skipped"] for row in rows)
    # And the base side was computed once, each K designed once (K = 2 not twice)
    assert calls["base"] == [version.id]
    assert sorted(calls["proposals"]) == [1, 2, 3]
    # And the proposal is K = 2's, as region_design gives it, and its row shows its totals
    alone = region_design(version=version, regions=2, headroom=0.1)
    assert outcome.as_dict()["regions"] == alone.as_dict()["regions"]
    total = outcome.kpis["proposal"]["total"]
    assert {key: rows[1][key] for key in ("in_region_pct", "trucks", "fill_pct", "avg_km")} == {
        key: total[key] for key in ("in_region_pct", "trucks", "fill_pct", "avg_km")}
    assert rows[1]["moved_zones"] == len(outcome.design.moved_zones)
    assert outcome.as_dict()["sweep"] == rows


def test_region_design_sweep__k_outside__designed_besides_the_sweep(
        calls: dict[str, list[Any]]) -> None:
    version = version_factory("east coast")

    outcome = region_design_sweep(version=version, regions=1, sweep=range(2, 4))

    assert len(outcome.design.regions) == 1
    assert [row["regions"] for row in outcome.sweep or []] == [2, 3]
    assert sorted(calls["proposals"]) == [1, 2, 3] and len(calls["base"]) == 1


def test_region_design_sweep__no_sweep__the_proposal_alone() -> None:
    outcome = region_design_sweep(version=version_factory("east coast"), regions=2, sweep=None)

    assert outcome.sweep is None and "sweep" not in outcome.as_dict()


def test_region_design_sweep__largest_region_capacity__its_demand_over_capacity() -> None:
    # Given the east-coast example, one region (K = 1) holding every FC
    version = version_factory("east coast")

    # When
    outcome = region_design_sweep(version=version, regions=1, sweep=range(1, 2))

    # Then capacity use is the region's demand over its FCs' capacity, in %
    region = outcome.design.regions[0]
    assert region.capacity
    expected = round(100 * region.demand / region.capacity, 1)
    assert (outcome.sweep or [])[0]["max_capacity_use_pct"] == expected


def test_region_design_sweep__unlimited_capacity__capacity_use_null() -> None:
    # Given an FC without a capacity (unlimited), in the only region
    version = version_factory("unlimited", network=("    capacity: 250000\n", ""))

    outcome = region_design_sweep(version=version, regions=1, sweep=range(1, 2))

    assert outcome.design.regions[0].capacity is None
    assert (outcome.sweep or [])[0]["max_capacity_use_pct"] is None


def test_region_design_sweep__k_beyond_the_network__design_error_before_the_rest(
        calls: dict[str, list[Any]]) -> None:
    # Given four FCs, and a sweep up to 9
    version = version_factory("east coast")

    # When / Then the sweep is refused naming the cause
    with pytest.raises(DesignError) as refused:
        region_design_sweep(version=version, regions=2, sweep=range(2, 10))
    assert "fulfilment centre" in str(refused.value)
    # And it stopped at the end B, before designing the Ks in between
    assert calls["proposals"] == [2, 9]


def test_region_design_sweep__over_the_solver_budget__refused_before_any_work(
        calls: dict[str, list[Any]]) -> None:
    version = version_factory("east coast")

    with pytest.raises(DesignError) as refused:
        region_design_sweep(version=version, regions=2, sweep=range(1, 17), time_limit=120)

    assert "narrow it or lower the time limit" in str(refused.value)
    assert calls == {"base": [], "proposals": []}


def test_region_design_sweep__past_the_deadline__other_ks_skipped_k_still_designed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a sweep whose deadline has passed as soon as it starts
    monkeypatch.setattr(design_sweep, "SWEEP_SECONDS", -1.0)
    version = version_factory("east coast")

    # When
    outcome = region_design_sweep(version=version, regions=2, sweep=range(1, 4))

    # Then K = 2 (the one asked for) is designed, the others are rows marked skipped
    rows = outcome.sweep or []
    assert [(row["regions"], row["skipped"]) for row in rows] == [
        (1, True), (2, False), (3, True)]
    assert rows[0]["in_region_pct"] is None and set(rows[0]) == ROW_KEYS
    assert len(outcome.design.regions) == 2
