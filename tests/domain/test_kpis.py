"""KPI labels (one definition for every page and the command line) and the before/after delta."""

from __future__ import annotations

from rollout.domain.kpis import KPI_LABELS, delta_of, kpi_label
from rollout.domain.simulate import KPI_NAMES


def test_kpi_labels__every_kpi__has_each_label_and_the_column_fits_its_width() -> None:
    # Given the simulator's KPIs, When their labels are looked up
    # Then each has all four, and the command line's fits its 18-character column
    assert set(KPI_LABELS) == set(KPI_NAMES)
    for label in KPI_LABELS.values():
        assert all((label.column, label.short, label.title, label.chart))
        assert len(label.column) < 18


def test_kpi_label__unknown_name__is_its_own_label() -> None:
    assert kpi_label("queue_depth").title == "queue_depth"
    assert kpi_label("in_region_pct").short == "in-region"


def test_delta_of__regions_in_both__after_minus_before_per_kpi() -> None:
    # Given a baseline with NE and SE, and a run with NE and MA (and a KPI only one side has)
    before = {"total": {"trucks": 10, "avg_km": 100.0},
              "regions": {"NE": {"trucks": 4, "avg_km": 80.0}, "SE": {"trucks": 6}}}
    after = {"total": {"trucks": 12, "avg_km": 90.0, "orders": 5},
             "regions": {"NE": {"trucks": 5, "avg_km": 70.0}, "MA": {"trucks": 7}}}
    # When the delta is taken
    delta = delta_of(before, after)
    # Then it is after minus before, for the KPIs both sides have and regions in both
    assert delta == {"total": {"trucks": 2, "avg_km": -10.0},
                     "regions": {"NE": {"trucks": 1, "avg_km": -10.0}}}
