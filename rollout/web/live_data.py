"""What the dashboard and region pages show of the live network: the map coloured by the
composite state (the dashboard's and each region's), and who changed a region, in words.

The map is the expensive part (904 zones projected and drawn), so it is built once per live
state: the key is the newest activation id (`live_state().at_activation`) with the upcoming
version (`upcoming_version()`, whose network supplies the zones that are not live yet).

These pages cost what the live network costs: besides the live state they read one version
only, the one a rollout in flight is taking live (while nothing is live: the newest),
never whatever else is stored. A large version uploaded and never rolled out costs them nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString

from rollout.domain.bundle import Bundle
from rollout.domain.composite import claimed_zones
from rollout.models import Activation, Version
from rollout.selectors.regions import known_region_codes
from rollout.selectors.versions import version_bundle, version_upcoming
from rollout.services.live import LiveState, live_state
from rollout.web.usmap import NetworkMap, network_map, region_colours


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


def upcoming_version(state: LiveState) -> Version | None:
    """The version whose network supplies the zones not live yet on the live pages: the one the
    newest rollout in flight is taking live; while nothing is live (`state`), the newest valid
    version (what a first rollout would take live); otherwise none."""
    return version_upcoming(anything_live=state.composite.bundle is not None)


def live_map(state: LiveState | None = None) -> LiveMap:
    """The live map for the current composite state, built once per (live state, version)."""
    global _map_cache
    state = state or live_state()
    newest = upcoming_version(state)
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


@dataclass(frozen=True)
class RegionMap:
    map: NetworkMap
    #: region code -> zones this region claims in the upcoming version that are live there now
    elsewhere: dict[str, int]
    newest: str | None


def region_map(code: str, colours: dict[str, str], state: LiveState | None = None) -> RegionMap:
    """Just this region's zones: live ones in its colour; the ones it claims in the upcoming
    version (`upcoming_version()`) but that are live in another region in that region's colour,
    labelled "live in XX" (they are live, just not here yet); the ones not live anywhere in
    grey."""
    state = state or live_state()
    composite = state.composite
    owner = composite.zone_owner
    rows: list[tuple[str, float, float, str | None]] = []
    seen: set[str] = set()
    if composite.bundle is not None:
        for z in composite.bundle.network.zones:
            if owner.get(z.id) == code:
                rows.append((z.id, z.lat, z.lon, code))
                seen.add(z.id)
    newest = upcoming_version(state)
    base = version_bundle(version=newest) if newest is not None else None
    elsewhere: dict[str, int] = {}
    if base is not None:
        claimed = set(claimed_zones(base, code)) - seen
        for z in base.network.zones:
            if z.id in claimed:
                other = owner.get(z.id)
                rows.append((z.id, z.lat, z.lon, other))
                if other:
                    elsewhere[other] = elsewhere.get(other, 0) + 1
    shown = {c: colours.get(c, "#7f7f7f") for c in {code, *elsewhere}}
    drawn_ids = {row[0] for row in rows}
    drawn = network_map(zones=rows, colours=shown, title=f"Zones of region {code}", fit=True,
                        gaps=[z for z in composite.gaps if z in drawn_ids])
    # the legend names a zone's live region; for another region's zones, say so plainly
    drawn.legend = [(label if label == code or label not in elsewhere else f"live in {label}",
                     colour, count) for label, colour, count in drawn.legend]
    return RegionMap(drawn, elsewhere, newest.id if newest else None)


# --- who changed a region, in words ---------------------------------------------------------

@dataclass(frozen=True)
class ActivationSummary:
    """How an activation came about, as people say it: "rolled back with rollout #1 by otto"."""

    verb: str
    rollout_id: int | None
    rollout_url: str
    phase: int | None  # 1-based
    actor: str

    @property
    def text(self) -> str:
        words = self.verb
        if self.rollout_id:
            words += f" with rollout #{self.rollout_id}"
            if self.phase:
                words += f" (phase {self.phase})"
        return words + (f" by {self.actor}" if self.actor else "")


VERBS = {
    Activation.Kind.ACTIVATE.value: "activated",
    Activation.Kind.ROLLBACK.value: "rolled back",
    Activation.Kind.REGION_ROLLBACK.value: "rolled back alone",
}


def activation_summary(activation: Activation) -> ActivationSummary:
    actor = activation.actor.username if activation.actor_id and activation.actor else ""
    if not actor and not activation.rollout_id:
        actor = "the system"
    phase = activation.phase.index + 1 if activation.phase_id and activation.phase else None
    return ActivationSummary(
        VERBS.get(activation.kind, activation.get_kind_display()), activation.rollout_id,
        rollout_url(activation.rollout_id) if activation.rollout_id else "",
        phase if activation.kind == Activation.Kind.ACTIVATE else None, actor)
