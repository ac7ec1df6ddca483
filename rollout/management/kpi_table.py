"""Text tables of KPIs for the command line (the delta arithmetic: `rollout.domain.kpis`)."""

from __future__ import annotations

from typing import Any

from rollout.domain.kpis import KPI_LABELS
from rollout.domain.simulate import COUNT_KPIS, KPI_NAMES


def render_kpis(after: dict[str, Any], before: dict[str, Any] | None = None) -> str:
    """One table of KPIs by region (and TOTAL); with a baseline, before/after/delta per region."""
    names = ["TOTAL", *sorted(after["regions"])]
    rows = {"TOTAL": after["total"], **after["regions"]}
    if before is None:
        header = f"{'KPI':<18}" + "".join(f"{name:>12}" for name in names)
        lines = [header, "-" * len(header)]
        for kpi in KPI_NAMES:
            lines.append(f"{KPI_LABELS[kpi].column:<18}" + "".join(
                f"{_format(kpi, rows[name][kpi]):>12}" for name in names))
        return "\n".join(lines)
    base = {"TOTAL": before["total"], **before["regions"]}
    blocks: list[str] = []
    for name in names:
        header = f"{name:<18}{'before':>12}{'after':>12}{'delta':>12}"
        lines = [header, "-" * len(header)]
        old = base.get(name)
        for kpi in KPI_NAMES:
            new_value = rows[name][kpi]
            label = KPI_LABELS[kpi].column
            if old is None:
                lines.append(f"{label:<18}{'-':>12}{_format(kpi, new_value):>12}{'':>12}")
                continue
            change = new_value - old[kpi]
            lines.append(f"{label:<18}{_format(kpi, old[kpi]):>12}"
                         f"{_format(kpi, new_value):>12}{_format(kpi, change, signed=True):>12}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _format(kpi: str, value: float, *, signed: bool = False) -> str:
    sign = "+" if signed else ""
    if kpi in COUNT_KPIS:
        return f"{round(value):{sign},}"
    return f"{value:{sign},.1f}" if kpi != "avg_hours" else f"{value:{sign},.2f}"
