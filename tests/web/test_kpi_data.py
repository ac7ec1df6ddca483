"""KPI cells as the dashboard, region and simulation pages show them: a change that rounds to
nothing as shown reads as no change (rollout.domain.gates.change_verdict), on every page."""

from __future__ import annotations

import re

from django.template.loader import render_to_string

from rollout.web.kpi_data import kpi_cell
from rollout.web.views.simulation import KpiRow, KpiTable


def test_kpi_cell__change_rounds_to_zero__reads_same_without_arrow() -> None:
    # Given a KPI that moved by less than the shown precision
    # When the dashboard's cell is made
    cell = kpi_cell("avg_km", 412.31, 412.34)

    # Then it reads "= 0", with the verdict "same"
    assert cell.verdict == "same"
    assert cell.delta_shown == "= 0"


def test_kpi_cell__shown_change__arrow_sign_and_verdict_agree() -> None:
    # Given in-region share falling by a tenth of a point
    cell = kpi_cell("in_region_pct", 71.1, 71.2)

    # Then it reads down, minus, worse
    assert (cell.delta_shown, cell.verdict) == ("▼ −0.1 pts", "worse")


def test_simulation_kpi_cells__change_rounds_to_zero__shows_0_same() -> None:
    # Given a simulation row whose average hours fell by 0.003 (shown as -0.00)
    row = KpiRow("avg_hours", 30.004, 30.001)
    table = KpiTable("Total", [row])

    # When its cells are drawn
    html = render_to_string("rollout/includes/kpi_cells.html", {"row": row, "table": table})

    # Then the change reads "0 = same": no minus, no arrow down, no "better"
    assert "0 <span aria-hidden=\"true\">=</span> <span class=\"verdict\">same</span>" in html
    change = re.sub(r"<[^>]*>", "", html.split('data-side="delta"')[1].split(">", 1)[1])
    assert change.split() == ["0", "=", "same"]
    assert table.counts() == {"better": 0, "worse": 0}
