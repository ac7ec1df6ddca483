"""KPI gates: did a KPI regress more than allowed? Fail closed on missing or odd data.

A regression is the relative change for the worse: for KPIs where higher is better
(in-region share, truck fill) a fall, for the rest (trucks, lanes, distance, time, split or
cross-region packages, unfulfilled items) a rise. `orders` has no better direction: any change
counts against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rollout.domain.simulate import COUNT_KPIS, KPI_NAMES, PERCENT_KPIS

HIGHER_IS_BETTER = frozenset({"in_region_pct", "fill_pct"})
NEUTRAL = frozenset({"orders"})


#: decimals a change of each KPI is shown with: counts whole, average hours to the hundredth,
#: the rest (percentages, km) to the tenth
SHOWN_DECIMALS = {name: 0 if name in COUNT_KPIS else 2 if name == "avg_hours" else 1
                  for name in KPI_NAMES}


def shown_change(kpi: str, before: float, after: float) -> float:
    """The change from `before` to `after` rounded as pages show it (0.0, never -0.0, when it
    rounds away)."""
    return round(after - before, SHOWN_DECIMALS.get(kpi, 1)) + 0.0


def change_verdict(kpi: str, before: float, after: float) -> str:
    """How a change of `kpi` from `before` to `after` reads: "same" when it rounds to nothing
    as shown (SHOWN_DECIMALS), else "better", "worse", or "changed" for a KPI with no better
    direction (orders)."""
    diff = shown_change(kpi, before, after)
    if diff == 0:
        return "same"
    if kpi in NEUTRAL:
        return "changed"
    return "better" if (diff > 0) == (kpi in HIGHER_IS_BETTER) else "worse"


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    regression_pct: float | None
    reason: str


def regression_pct(kpi: str, before: float, after: float) -> float:
    """How much worse `after` is than `before`, in percent of `before` (<= 0: not worse)."""
    if kpi in NEUTRAL:
        worse = abs(after - before)
    elif kpi in HIGHER_IS_BETTER:
        worse = before - after
    else:
        worse = after - before
    if before == 0:
        return math.inf if worse > 0 else 0.0
    return 100.0 * worse / abs(before)


def judge(kpi: str, max_regression_pct: float, before: object, after: object) -> GateVerdict:
    """Pass only when both values are usable and the regression is within the limit."""
    if kpi not in KPI_NAMES:
        return GateVerdict(False, None, f"unknown KPI {kpi!r}")
    for label, value in (("before", before), ("after", after)):
        problem = _unusable(kpi, value)
        if problem:
            return GateVerdict(False, None, f"{label} value {problem}")
    assert isinstance(before, int | float) and isinstance(after, int | float)
    regression = regression_pct(kpi, float(before), float(after))
    if regression > max_regression_pct:
        shown = "infinitely" if math.isinf(regression) else f"{regression:.2f}%"
        return GateVerdict(False, regression, f"{kpi} regressed {shown} (before {before}, "
                                              f"after {after}), over the {max_regression_pct}% "
                                              "allowed")
    return GateVerdict(True, regression, f"{kpi} within {max_regression_pct}% "
                                         f"(before {before}, after {after})")


def _unusable(kpi: str, value: object) -> str | None:
    if value is None:
        return "is missing"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a number"
    if not math.isfinite(value):
        return f"{value!r} is not finite"
    if value < 0 or (kpi in PERCENT_KPIS and value > 100):
        return f"{value!r} is out of range"
    return None
