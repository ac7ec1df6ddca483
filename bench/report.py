"""The benchmark's printed tables and its budgets (from the performance issues)."""

from __future__ import annotations

from dataclasses import dataclass

#: (key, label, budget, unit). Budgets hold for the national-scale bundle.
BUDGETS: list[tuple[str, str, float, str]] = [
    ("validate_cli_s", "manage.py validate, wall (median)", 2.0, "s"),
    ("check_phase_s", "check phase (run_checks, in-process)", 0.5, "s"),
    ("validate_peak_rss_mb", "manage.py validate, peak RSS", 1024.0, "MB"),
    ("import_config_cli_s", "manage.py import_config, wall (median)", 3.0, "s"),
]
#: Issue 4. A budget in "orders/s" is a floor (at least), every other one a ceiling.
SIMULATE_BUDGETS: list[tuple[str, str, float, str]] = [
    ("flow_orders_per_s", "simulation core (flow phase), 1M orders", 2_000_000.0, "orders/s"),
    ("simulate_cli_s", "manage.py simulate, wall (median)", 5.0, "s"),
    ("simulate_peak_rss_mb", "manage.py simulate, peak RSS", 2048.0, "MB"),
    ("replay_inprocess_s", "1M-row CSV: read_orders_csv + simulate", 3.0, "s"),
    ("replay_cli_s", "manage.py simulate --orders 1M rows, wall", 3.0, "s"),
]
FLOOR_UNITS = frozenset({"orders/s"})


@dataclass
class Verdict:
    key: str
    label: str
    value: float | None
    budget: float
    unit: str
    note: str = ""

    @property
    def status(self) -> str:
        if self.value is None:
            return "N/A"
        if self.unit in FLOOR_UNITS:
            return "PASS" if self.value >= self.budget else "OVER"
        return "PASS" if self.value < self.budget else "OVER"

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "budget": self.budget,
            "unit": self.unit,
            "status": self.status,
            "note": self.note,
        }


def verdicts(
    figures: dict[str, float | None],
    notes: dict[str, str],
    budgets: list[tuple[str, str, float, str]] = BUDGETS,
) -> list[Verdict]:
    return [
        Verdict(key, label, figures.get(key), budget, unit, notes.get(key, ""))
        for key, label, budget, unit in budgets
    ]


def section(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def row(label: str, value: str, extra: str = "") -> None:
    print(f"  {label:<44} {value:>14}  {extra}".rstrip())


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 0.01 else f"{value * 1000:,.0f} ms"


def rate(value: float | None) -> str:
    """Orders (or rows) per second: `2.87 M/s`."""
    if value is None:
        return "-"
    return f"{value / 1e6:.2f} M/s" if value >= 100_000 else f"{value:,.0f} /s"


def size(value: int) -> str:
    return f"{value / 1e6:,.2f} MB" if value >= 100_000 else f"{value:,} B"


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return seconds(value)
    if unit == "orders/s":
        return rate(value)
    return f"{value:,.0f} {unit}"


def print_verdicts(items: list[Verdict], *, scale_note: str) -> None:
    section(f"Budgets ({scale_note})")
    for item in items:
        if item.unit == "s":
            budget = f"< {item.budget * 1000:,.0f} ms"
        elif item.unit in FLOOR_UNITS:
            budget = f">= {rate(item.budget)}"
        else:
            budget = f"< {item.budget:,.0f} {item.unit}"
        row(
            item.label,
            _shown(item.value, item.unit),
            f"{budget:>12}  {item.status}" + (f"  ({item.note})" if item.note else ""),
        )
