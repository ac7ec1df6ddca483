"""KPI gates: the direction of a regression per KPI, the limit, and failing closed on odd data."""

from __future__ import annotations

import math

import pytest

from rollout.domain.gates import (
    HIGHER_IS_BETTER,
    NEUTRAL,
    change_verdict,
    judge,
    regression_pct,
    shown_change,
)
from rollout.domain.simulate import KPI_NAMES, PERCENT_KPIS

LOWER_IS_BETTER = [k for k in KPI_NAMES if k not in HIGHER_IS_BETTER and k not in NEUTRAL]


def test_kpi_directions__every_kpi__has_exactly_one_direction() -> None:
    # Given the simulator's KPIs
    # Then in-region share and fill are higher-is-better, orders neutral, the rest lower
    assert {"in_region_pct", "fill_pct"} == HIGHER_IS_BETTER
    assert {"orders"} == NEUTRAL
    assert set(LOWER_IS_BETTER) == {"packages", "active_lanes", "trucks", "avg_km", "avg_hours",
                                    "cross_region_packages", "unfulfilled_items"}


@pytest.mark.parametrize("kpi", sorted(HIGHER_IS_BETTER))
def test_regression_pct__higher_is_better_kpi_falls__positive_regression(kpi: str) -> None:
    # Given a KPI where higher is better, falling from 80 to 60
    # Then it regressed by a quarter; rising is an improvement (negative)
    assert regression_pct(kpi, 80.0, 60.0) == 25.0
    assert regression_pct(kpi, 80.0, 100.0) == -25.0


@pytest.mark.parametrize("kpi", LOWER_IS_BETTER)
def test_regression_pct__lower_is_better_kpi_rises__positive_regression(kpi: str) -> None:
    assert regression_pct(kpi, 200.0, 250.0) == 25.0
    assert regression_pct(kpi, 200.0, 150.0) == -25.0


def test_regression_pct__orders_change_either_way__counts_as_regression() -> None:
    assert regression_pct("orders", 1000.0, 1100.0) == 10.0
    assert regression_pct("orders", 1000.0, 900.0) == 10.0
    assert regression_pct("orders", 1000.0, 1000.0) == 0.0


@pytest.mark.parametrize(("kpi", "after", "expected"), [
    ("trucks", 5.0, math.inf),  # from nothing to something worse: infinitely worse
    ("trucks", 0.0, 0.0),  # nothing to nothing: no change
    ("in_region_pct", 40.0, 0.0),  # a higher-is-better KPI rising from 0 is not worse
    ("orders", 3.0, math.inf),
])
def test_regression_pct__before_zero__infinite_only_when_worse(kpi: str, after: float,
                                                               expected: float) -> None:
    assert regression_pct(kpi, 0.0, after) == expected


def test_judge__regression_within_limit__passes_with_the_numbers() -> None:
    # Given trucks rising from 100 to 101 and a 2% limit
    verdict = judge("trucks", 2.0, 100, 101)

    # Then the gate passes and says why
    assert verdict.passed
    assert verdict.regression_pct == pytest.approx(1.0)
    assert verdict.reason == "trucks within 2.0% (before 100, after 101)"


def test_judge__regression_exactly_at_the_limit__passes() -> None:
    # Given in-region share falling from 50 to 49: exactly 2%
    verdict = judge("in_region_pct", 2.0, 50.0, 49.0)

    assert verdict.passed and verdict.regression_pct == 2.0


def test_judge__regression_just_over_the_limit__fails_with_the_numbers() -> None:
    verdict = judge("in_region_pct", 2.0, 50.0, 48.99)

    assert not verdict.passed
    assert verdict.regression_pct == pytest.approx(2.02)
    assert verdict.reason == ("in_region_pct regressed 2.02% (before 50.0, after 48.99), over "
                              "the 2.0% allowed")


def test_judge__improvement_under_a_zero_limit__passes() -> None:
    assert judge("fill_pct", 0.0, 60.0, 70.0).passed
    assert judge("avg_km", 0.0, 60.0, 50.0).passed
    assert judge("avg_km", 0.0, 60.0, 60.0).passed


def test_judge__before_zero_and_worse__fails_infinitely() -> None:
    verdict = judge("unfulfilled_items", 50.0, 0, 1)

    assert not verdict.passed
    assert verdict.regression_pct == math.inf
    assert "regressed infinitely" in verdict.reason


def test_judge__before_and_after_zero__passes() -> None:
    assert judge("unfulfilled_items", 0.0, 0, 0).passed


@pytest.mark.parametrize(("value", "problem"), [
    (None, "is missing"),
    (math.nan, "nan is not finite"),
    (math.inf, "inf is not finite"),
    (-math.inf, "-inf is not finite"),
    (-1, "-1 is out of range"),
    ("80", "'80' is not a number"),
    (True, "True is not a number"),
])
@pytest.mark.parametrize("side", ["before", "after"])
def test_judge__unusable_value__fails_closed(side: str, value: object, problem: str) -> None:
    # Given one side of the comparison unusable and the other fine
    before, after = (value, 80.0) if side == "before" else (80.0, value)

    # When the gate is judged with a limit that would let anything through
    verdict = judge("in_region_pct", 1e9, before, after)

    # Then it fails closed, without a regression figure
    assert not verdict.passed
    assert verdict.regression_pct is None
    assert verdict.reason == f"{side} value {problem}"


@pytest.mark.parametrize("kpi", sorted(PERCENT_KPIS))
def test_judge__percentage_over_100__fails_closed(kpi: str) -> None:
    verdict = judge(kpi, 1e9, 90.0, 100.5)

    assert not verdict.passed and verdict.reason == "after value 100.5 is out of range"


def test_judge__count_over_100__is_usable() -> None:
    assert judge("trucks", 5.0, 400, 410).passed


def test_judge__unknown_kpi__fails_closed() -> None:
    verdict = judge("happiness", 100.0, 1.0, 1.0)

    assert not verdict.passed
    assert verdict.regression_pct is None
    assert verdict.reason == "unknown KPI 'happiness'"


@pytest.mark.parametrize(("kpi", "before", "after", "expected"), [
    ("in_region_pct", 60.0, 66.0, "better"),
    ("in_region_pct", 66.0, 60.0, "worse"),
    ("trucks", 100, 90, "better"),
    ("trucks", 90, 100, "worse"),
    ("orders", 10, 11, "changed"),
    ("avg_km", 5.0, 5.0, "same"),
])
def test_change_verdict__direction_of_the_kpi__decides(kpi: str, before: float, after: float,
                                                       expected: str) -> None:
    assert change_verdict(kpi, before, after) == expected


@pytest.mark.parametrize(("kpi", "before", "after"), [
    ("avg_hours", 30.004, 30.001),  # -0.003 h: shown as -0.00
    ("avg_km", 412.34, 412.31),  # -0.03 km: shown as -0.0
    ("in_region_pct", 71.26, 71.24),
    ("trucks", 100.0, 100.4),
    ("orders", 1000.0, 1000.2),
])
def test_change_verdict__change_rounds_to_zero_as_shown__same(kpi: str, before: float,
                                                             after: float) -> None:
    # Given a change too small to show at the KPI's precision
    # When it is judged
    verdict = change_verdict(kpi, before, after)

    # Then it reads as no change, never as "better" or "worse"
    assert verdict == "same"
    assert shown_change(kpi, before, after) == 0.0
    assert str(shown_change(kpi, before, after)) == "0.0"  # no "-0.0"


def test_change_verdict__smallest_shown_change__has_a_direction() -> None:
    # Given changes of exactly one shown unit
    # Then they read with their direction
    assert change_verdict("avg_hours", 30.00, 29.99) == "better"
    assert change_verdict("in_region_pct", 71.2, 71.1) == "worse"
    assert change_verdict("trucks", 100, 101) == "worse"
