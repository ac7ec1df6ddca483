"""What the dashboard and region pages show of the live network: the map coloured by the
composite state, KPIs with their change, rollouts in flight, freeze windows.

The map is the expensive part (904 zones projected and drawn), so it is built once per live
state: the key is the newest activation id (`live_state().at_activation`) with the newest
version (whose network supplies the zones that are not live yet).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from rollout.domain.bundle import Bundle
from rollout.domain.gates import HIGHER_IS_BETTER, NEUTRAL
from rollout.domain.lifecycle import PhaseState, State
from rollout.domain.simulate import COUNT_KPIS, PERCENT_KPIS
from rollout.models import Activation, FreezeWindow, KpiSnapshot, Rollout, Version
from rollout.selectors import version_bundle
from rollout.services.activations import LiveState, live_state
from rollout.services.kpis import known_region_codes
from rollout.web.usmap import NetworkMap, network_map, region_colours

#: KPIs in the dashboard's region table (the region page shows all of them).
DASHBOARD_KPIS = ("in_region_pct", "trucks", "fill_pct", "avg_km")
KPI_LABELS = {
    "orders": "orders", "packages": "packages", "in_region_pct": "in-region",
    "active_lanes": "active lanes", "trucks": "trucks", "fill_pct": "truck fill",
    "avg_km": "km / package", "avg_hours": "hours / package",
    "cross_region_packages": "cross-region packages", "unfulfilled_items": "unfulfilled items",
}
IN_FLIGHT = (State.APPROVED.value, State.RUNNING.value, State.PAUSED.value)


def url_or(name: str, *args: object, fallback: str) -> str:
    """The URL of a page another part of the UI owns, or its documented path if not wired."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def version_url(version_id: str) -> str:
    return url_or("web:version_detail", version_id, fallback=f"/versions/{version_id}/")


def rollout_url(rollout_id: int) -> str:
    return url_or("web:rollout_detail", rollout_id, fallback=f"/rollouts/{rollout_id}/")


# --- the live map ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LiveMap:
    at: int
    newest: str | None
    map: NetworkMap
    html: SafeString
    colours: dict[str, str]
    names: dict[str, str]
    #: what the dashboard polls: region -> its zones and facilities, gaps, colours
    payload: dict[str, Any]


_map_lock = threading.Lock()
#: (the LiveState it was drawn from, the newest version id, the map): one entry. Keyed by the
#: state object rather than its activation id: live_state() hands out the same object until a
#: new activation exists (or a writer forgets it), and ids can repeat after a rolled-back
#: transaction.
_map_cache: tuple[LiveState, str | None, LiveMap] | None = None


def newest_version() -> Version | None:
    """The newest valid version: its network supplies the zones that are not live yet."""
    return (Version.objects.filter(valid=True).only("id", "digest")
            .order_by("-created_at", "-id").first())


def live_map(state: LiveState | None = None) -> LiveMap:
    """The live map for the current composite state, built once per (live state, version)."""
    global _map_cache
    state = state or live_state()
    newest = newest_version()
    newest_id = newest.id if newest else None
    cached = _map_cache
    if cached is not None and cached[0] is state and cached[1] == newest_id:
        return cached[2]
    with _map_lock:
        cached = _map_cache
        if cached is not None and cached[0] is state and cached[1] == newest_id:
            return cached[2]
        drawn = _build_live_map(state, newest)
        _map_cache = (state, newest_id, drawn)
        return drawn


def _build_live_map(state: LiveState, newest: Version | None) -> LiveMap:
    composite = state.composite
    live: Bundle | None = composite.bundle
    base = version_bundle(version=newest) if newest is not None else None
    owner = composite.zone_owner
    names: dict[str, str] = {}
    for bundle in (base, live):  # live names win
        if bundle is not None:
            names.update({r.code: r.name for r in bundle.regions.regions})
    colours = region_colours(names, universe=known_region_codes())
    zones: dict[str, tuple[str, float, float, str | None]] = {}
    facilities: dict[str, tuple[str, str, float, float, str | None]] = {}
    if live is not None:
        facility_region = {f: r.code for r in live.regions.regions for f in r.facilities}
        for z in live.network.zones:
            zones[z.id] = (z.id, z.lat, z.lon, owner.get(z.id))
        for f in live.network.facilities:
            facilities[f.id] = (f.id, f.type, f.lat, f.lon, facility_region.get(f.id))
    if base is not None:
        for z in base.network.zones:
            zones.setdefault(z.id, (z.id, z.lat, z.lon, None))
        for f in base.network.facilities:
            facilities.setdefault(f.id, (f.id, f.type, f.lat, f.lon, None))
    drawn = network_map(zones=zones.values(), facilities=facilities.values(), colours=colours,
                        title="Live network: zones and facilities by live region",
                        gaps=composite.gaps)
    html = render_to_string("rollout/includes/map.html", {"map": drawn, "map_id": "livemap"})
    by_region: dict[str, list[str]] = {}
    for zone, code in owner.items():
        by_region.setdefault(code, []).append(zone)
    fc_by_region: dict[str, list[str]] = {}
    for facility_id, _kind, _lat, _lon, fac_code in facilities.values():
        if fac_code:
            fc_by_region.setdefault(fac_code, []).append(facility_id)
    payload = {
        "at": state.at_activation,
        "colours": colours,
        "zones": by_region,
        "facilities": fc_by_region,
        "gaps": composite.gaps,
        "versions": composite.region_versions,
    }
    return LiveMap(at=state.at_activation, newest=newest.id if newest else None, map=drawn,
                   html=html, colours=colours, names=names, payload=payload)


def region_map(code: str, colour: str, state: LiveState | None = None) -> NetworkMap:
    """Just this region's zones: live ones in its colour, the ones it claims in the newest
    version but that are not live (or live in another region) in grey."""
    state = state or live_state()
    composite = state.composite
    rows: list[tuple[str, float, float, str | None]] = []
    seen: set[str] = set()
    if composite.bundle is not None:
        for z in composite.bundle.network.zones:
            if composite.zone_owner.get(z.id) == code:
                rows.append((z.id, z.lat, z.lon, code))
                seen.add(z.id)
    newest = newest_version()
    base = version_bundle(version=newest) if newest is not None else None
    if base is not None:
        from rollout.domain.composite import claimed_zones

        claimed = set(claimed_zones(base, code)) - seen
        rows.extend((z.id, z.lat, z.lon, None) for z in base.network.zones if z.id in claimed)
    return network_map(zones=rows, colours={code: colour}, title=f"Zones of region {code}",
                       fit=True)


# --- KPIs -----------------------------------------------------------------------------------

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


def verdict_of(name: str, before: float, after: float) -> str:
    diff = after - before
    if abs(diff) < 1e-9:
        return "same"
    if name in NEUTRAL:
        return "changed"
    up_is_good = name in HIGHER_IS_BETTER
    return "better" if (diff > 0) == up_is_good else "worse"


def kpi_cell(name: str, after: float | None, before: float | None,
             observed: bool = False) -> KpiCell:
    cell = KpiCell(name, KPI_LABELS.get(name, name), after, fmt_kpi(name, after),
                   observed=observed, before=before)
    if after is None or before is None:
        return cell
    diff = after - before
    unit = " pts" if name in PERCENT_KPIS else ""
    number = f"{diff:+,.0f}" if name in COUNT_KPIS else f"{diff:+,.1f}"
    if diff == 0:
        number = "0"
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "="
    number = number.replace("-", "−")
    return KpiCell(cell.name, cell.label, after, cell.shown, diff, f"{arrow} {number}{unit}",
                   verdict_of(name, before, after), observed, before)


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


def latest_observed(region: str, since: datetime) -> dict[str, float]:
    """The newest observed value of each KPI for the region since `since`."""
    values: dict[str, float] = {}
    rows = (KpiSnapshot.objects.filter(region=region, source=KpiSnapshot.Source.OBSERVED,
                                       kind=KpiSnapshot.Kind.POINT, taken_at__gte=since)
            .order_by("-taken_at", "-id").values_list("values", flat=True)[:50])
    for snapshot in rows:
        for name, value in snapshot.items():
            values.setdefault(name, value)
    return values


# --- rollouts in flight and freezes ---------------------------------------------------------

@dataclass(frozen=True)
class InFlight:
    id: int
    url: str
    state: str
    version_id: str
    version_url: str
    done: int
    total: int
    current: str
    next_at: datetime | None
    next_label: str

    @property
    def pct(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "done": self.done, "total": self.total,
                "pct": self.pct, "current": self.current, "next_label": self.next_label,
                "next_at": self.next_at.isoformat() if self.next_at else None}


def rollouts_in_flight(now: datetime | None = None) -> list[InFlight]:
    now = now or timezone.now()
    rows = (Rollout.objects.filter(state__in=IN_FLIGHT).order_by("-created_at", "-id")
            .prefetch_related("phases")[:20])
    result = []
    for rollout in rows:
        phases = sorted(rollout.phases.all(), key=lambda p: p.index)
        done = sum(p.state == PhaseState.PASSED.value for p in phases)
        baking = next((p for p in phases if p.state == PhaseState.BAKING.value), None)
        pending = next((p for p in phases if p.state == PhaseState.PENDING.value), None)
        current = baking or pending
        if current is None:
            current_label = "all phases done"
        else:
            verb = "baking" if current is baking else "next"
            current_label = (f"phase {current.index + 1} of {len(phases)} ({verb}): "
                             f"{', '.join(current.regions)}")
        next_at: datetime | None = None
        if rollout.state == State.RUNNING.value:
            next_at = rollout.next_step_at or (baking.bake_until if baking else None)
            if next_at is None and pending is not None:
                next_at = pending.start_after
            next_label = _until(next_at, now) if next_at else "due now"
        elif rollout.state == State.PAUSED.value:
            next_label = "paused: waits for an operator"
        else:
            next_label = "approved: waits for an operator to start it"
        result.append(InFlight(rollout.id, rollout_url(rollout.id), rollout.state,
                               rollout.version_id, version_url(rollout.version_id), done,
                               len(phases), current_label, next_at, next_label))
    return result


def _until(moment: datetime, now: datetime) -> str:
    seconds = (moment - now).total_seconds()
    if seconds <= 0:
        return "next step due now"
    minutes = seconds / 60
    if minutes < 1:
        return f"next step in {seconds:.0f} s"
    if minutes < 120:
        return f"next step in {minutes:.0f} min"
    return f"next step in {minutes / 60:.1f} h"


def freeze_windows(now: datetime | None = None) -> list[dict[str, Any]]:
    """Freeze windows that have not ended, soonest first, with whether each is open now."""
    now = now or timezone.now()
    return [{"window": w, "open": w.starts_at <= now}
            for w in FreezeWindow.objects.filter(ends_at__gt=now).order_by("starts_at")[:20]]
