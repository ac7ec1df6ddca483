"""KPIs as people read them, defined once: each KPI's label in every place it is shown, and the
arithmetic of a before/after comparison (what `simulate --baseline` and POST /simulate call the
delta). Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rollout.domain.simulate import KPI_NAMES


@dataclass(frozen=True)
class KpiLabel:
    """A KPI's name for people, by where it is shown (each fits its place)."""

    #: the command line's tables (an 18-character column)
    column: str
    #: the dashboard's and region page's KPI cells
    short: str
    #: the simulation page's headings and chart choices
    title: str
    #: the before/after bars of the region page (a 120-unit label column)
    chart: str


KPI_LABELS: dict[str, KpiLabel] = {
    "orders": KpiLabel("orders", "orders", "Orders", "orders"),
    "packages": KpiLabel("packages", "packages", "Packages", "packages"),
    "in_region_pct": KpiLabel("in-region %", "in-region", "In-region orders", "in-region"),
    "active_lanes": KpiLabel("active lanes", "active lanes", "Active lanes", "active lanes"),
    "trucks": KpiLabel("trucks", "trucks", "Trucks", "trucks"),
    "fill_pct": KpiLabel("fill %", "truck fill", "Truck fill", "truck fill"),
    "avg_km": KpiLabel("avg km", "km / package", "Avg km per package", "km / package"),
    "avg_hours": KpiLabel("avg hours", "hours / package", "Avg hours per package",
                          "hours / package"),
    "cross_region_packages": KpiLabel("cross-region pkgs", "cross-region packages",
                                      "Cross-region packages", "cross-region"),
    "unfulfilled_items": KpiLabel("unfulfilled items", "unfulfilled items",
                                  "Unfulfilled items", "unfulfilled"),
}


def kpi_label(name: str) -> KpiLabel:
    """The KPI's labels; an unknown name is its own label everywhere."""
    return KPI_LABELS.get(name) or KpiLabel(name, name, name, name)


def delta_of(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """after - before, KPI by KPI, for the total and every region present in both."""

    def minus(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
        return {name: a[name] - b[name] for name in KPI_NAMES if name in a and name in b}

    return {
        "total": minus(after["total"], before["total"]),
        "regions": {code: minus(kpis, before["regions"][code])
                    for code, kpis in after["regions"].items() if code in before["regions"]},
    }
