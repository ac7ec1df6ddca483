"""The benchmark's printed tables and its budgets (from the performance issue)."""

from __future__ import annotations

from dataclasses import dataclass

#: (key, label, budget, unit). Budgets hold for the national-scale bundle.
BUDGETS: list[tuple[str, str, float, str]] = [
    ("validate_cli_s", "manage.py validate, wall (median)", 2.0, "s"),
    ("check_phase_s", "check phase (run_checks, in-process)", 0.5, "s"),
    ("validate_peak_rss_mb", "manage.py validate, peak RSS", 1024.0, "MB"),
    ("import_config_cli_s", "manage.py import_config, wall (median)", 3.0, "s"),
]


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


def verdicts(figures: dict[str, float | None], notes: dict[str, str]) -> list[Verdict]:
    return [
        Verdict(key, label, figures.get(key), budget, unit, notes.get(key, ""))
        for key, label, budget, unit in BUDGETS
    ]


def section(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def row(label: str, value: str, extra: str = "") -> None:
    print(f"  {label:<44} {value:>14}  {extra}".rstrip())


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 0.01 else f"{value * 1000:,.0f} ms"


def size(value: int) -> str:
    return f"{value / 1e6:,.2f} MB" if value >= 100_000 else f"{value:,} B"


def print_verdicts(items: list[Verdict], *, scale_note: str) -> None:
    section(f"Budgets ({scale_note})")
    for item in items:
        if item.value is None:
            shown = "-"
        elif item.unit == "s":
            shown = seconds(item.value)
        else:
            shown = f"{item.value:,.0f} {item.unit}"
        budget = (
            f"< {item.budget * 1000:,.0f} ms"
            if item.unit == "s"
            else f"< {item.budget:,.0f} {item.unit}"
        )
        row(
            item.label,
            shown,
            f"{budget:>12}  {item.status}" + (f"  ({item.note})" if item.note else ""),
        )
