"""KPIs as the dashboard and region pages show them: formatted values with their change since
before an activation (better, worse, same), and the before/after snapshots matched to the
activations they were recorded around."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rollout.domain.gates import SHOWN_DECIMALS, change_verdict, shown_change
from rollout.domain.kpis import kpi_label
from rollout.domain.simulate import COUNT_KPIS, PERCENT_KPIS
from rollout.models import Activation, KpiSnapshot

#: KPIs in the dashboard's region table (the region page shows all of them).
DASHBOARD_KPIS = ("in_region_pct", "trucks", "fill_pct", "avg_km")

@dataclass(frozen=True)
class KpiCell:
    name: str
    label: str
    value: float | None
    shown: str
    delta: float | None = None
    delta_shown: str = ""
    verdict: str = ""  # better | worse | same | changed | ""
    observed: bool = False
    before: float | None = None

    @property
    def before_shown(self) -> str:
        return fmt_kpi(self.name, self.before)


def fmt_kpi(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    if name in PERCENT_KPIS:
        return f"{value:.1f}%"
    if name in COUNT_KPIS:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def kpi_cell(name: str, after: float | None, before: float | None,
             observed: bool = False) -> KpiCell:
    cell = KpiCell(name, kpi_label(name).short, after, fmt_kpi(name, after),
                   observed=observed, before=before)
    if after is None or before is None:
        return cell
    verdict = change_verdict(name, before, after)
    diff = shown_change(name, before, after)
    unit = " pts" if name in PERCENT_KPIS else ""
    if verdict == "same":  # a change that rounds to nothing is no change: "= 0", never "▼ −0.0"
        return KpiCell(cell.name, cell.label, after, cell.shown, 0.0, f"= 0{unit}", verdict,
                       observed, before)
    number = f"{diff:+,.{SHOWN_DECIMALS.get(name, 1)}f}".replace("-", "−")
    arrow = "▲" if diff > 0 else "▼"
    return KpiCell(cell.name, cell.label, after, cell.shown, after - before,
                   f"{arrow} {number}{unit}", verdict, observed, before)


@dataclass
class ActivationKpis:
    """The before/after snapshots recorded around one activation, by source."""

    before: dict[str, dict[str, Any]] = field(default_factory=dict)
    after: dict[str, dict[str, Any]] = field(default_factory=dict)

    def pick(self, name: str) -> tuple[float | None, float | None, bool]:
        """(before, after, observed?) of a KPI: observed values when both sides have them."""
        for source in ("observed", "simulation"):
            after = self.after.get(source, {}).get(name)
            before = self.before.get(source, {}).get(name)
            if after is not None:
                if before is None and source == "observed":
                    before = self.before.get("simulation", {}).get(name)
                return _num(before), _num(after), source == "observed"
        before = self.before.get("simulation", {}).get(name)
        return _num(before), None, False


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def snapshots_by_activation(activations: Iterable[Activation],
                            snapshots: Iterable[KpiSnapshot]) -> dict[int, ActivationKpis]:
    """Match before/after snapshots to the activations they were recorded for.

    The engine stamps both snapshots of a phase with the phase's activation time; snapshots of
    an activation outside a rollout (the demo) follow it in time, before the region's next
    activation. Snapshots are given newest first; the newest of each kind and source wins.
    """
    ordered = sorted(activations, key=lambda a: a.id)
    by_stamp: dict[tuple[str, datetime], Activation] = {}
    for activation in ordered:
        if activation.phase is not None and activation.phase.activated_at is not None:
            by_stamp[(activation.region, activation.phase.activated_at)] = activation
    loose = [a for a in ordered if a.phase_id is None]
    result: dict[int, ActivationKpis] = {a.id: ActivationKpis() for a in ordered}
    for snap in snapshots:
        if snap.kind not in (KpiSnapshot.Kind.BEFORE, KpiSnapshot.Kind.AFTER):
            continue
        owner = by_stamp.get((snap.region, snap.taken_at))
        if owner is None:
            owner = _loose_owner(loose, snap)
        if owner is None:
            continue
        side = result[owner.id].before if snap.kind == KpiSnapshot.Kind.BEFORE else \
            result[owner.id].after
        side.setdefault(snap.source, snap.values)
    return result


def _loose_owner(loose: list[Activation], snap: KpiSnapshot) -> Activation | None:
    """The latest activation of the snapshot's region, outside a rollout, at or before it, on
    the snapshot's version (for "after")."""
    owner = None
    for activation in loose:
        if activation.region != snap.region or activation.created_at > snap.taken_at:
            continue
        if snap.kind == KpiSnapshot.Kind.AFTER and activation.version_id != snap.version_id:
            continue
        owner = activation
    return owner

