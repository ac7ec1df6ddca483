"""The routing table: a national default, one rule per region, and explicit zone rules.

Explicit rules name only FCs of the zone's own region (no W150), and a `via` path is always made
of lanes that exist: candidate FC -> sort centre -> the zone's station (no E140).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bench.gen.geo import road_km
from bench.gen.lanes import Lane
from bench.gen.network import Network, Site

#: One explicit rule per this many zones: 40,000 zones give ~300 rules.
ZONES_PER_EXPLICIT_RULE = 130
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class Rule:
    fcs: str | list[str]
    region: str | None = None
    zones: list[str] | None = None
    via: list[str] | None = None


def make_routes(rng: np.random.Generator, network: Network, lanes: list[Lane]) -> list[Rule]:
    rules = [Rule(region="*", fcs="nearest")]
    rules.extend(Rule(region=spec.code, fcs="nearest_in_region") for spec in network.regions)
    rules.extend(_explicit_rules(rng, network, lanes))
    return rules


def _station_ranges(network: Network) -> dict[str, tuple[int, int]]:
    """First and last zone index of each station (zones are contiguous per station)."""
    spans: dict[str, tuple[int, int]] = {}
    for i, station in enumerate(network.zones.station):
        first, _ = spans.get(station, (i, i))
        spans[station] = (first, i)
    return spans


def _explicit_rules(rng: np.random.Generator, network: Network, lanes: list[Lane]) -> list[Rule]:
    sites = {s.id: s for s in network.sites}
    incoming: dict[str, list[str]] = defaultdict(list)
    for lane in lanes:
        incoming[lane.dst].append(lane.src)
    spans = _station_ranges(network)
    stations = sorted(spans, key=lambda s: spans[s][0])
    wanted = max(2 * len(network.regions), len(network.zones.ids) // ZONES_PER_EXPLICIT_RULE)
    picks = np.sort(rng.choice(len(stations), size=min(wanted, len(stations)), replace=False))
    rules = []
    for n, pick in enumerate(picks.tolist()):
        station = sites[stations[pick]]
        selector = _zone_selector(network.zones.ids, *spans[station.id], variant=n % 3)
        via_rule = _via_rule(station, sites, incoming, network) if n % 2 == 0 else None
        if via_rule is not None:
            fcs, via = via_rule
            rules.append(Rule(zones=selector, fcs=fcs, via=via))
            continue
        nearest = _nearest(station, network.sites_of(station.region, "fc"))[:MAX_CANDIDATES]
        if len(nearest) > 1 and rng.random() < 0.3:
            nearest[0], nearest[1] = nearest[1], nearest[0]  # a planner's override of the nearest
        rules.append(Rule(zones=selector, fcs=[fc.id for fc in nearest]))
    return rules


def _zone_selector(ids: list[str], first: int, last: int, *, variant: int) -> list[str]:
    """Each form a planner writes: a station's whole range, one zone, a short list."""
    if variant == 0 and last > first:
        return [f"{ids[first]}-{ids[last]}"]
    if variant == 2 and last > first:
        return [ids[first], ids[first + 1]]
    return [ids[first]]


def _via_rule(
    station: Site, sites: dict[str, Site], incoming: dict[str, list[str]], network: Network
) -> tuple[list[str], list[str]] | None:
    """FCs of the station's region with a lane to a sort centre that has a lane to the station."""
    best: tuple[Site, list[Site]] | None = None
    for hub_id in incoming[station.id]:
        hub = sites[hub_id]
        if hub.kind != "sc" or hub.region != station.region:
            continue
        feeders = [
            sites[s]
            for s in incoming[hub_id]
            if sites[s].kind == "fc" and sites[s].region == station.region
        ]
        if feeders and (best is None or len(feeders) > len(best[1])):
            best = (hub, feeders)
    if best is None:
        return None
    hub, feeders = best
    return [fc.id for fc in _nearest(station, feeders)[:MAX_CANDIDATES]], [hub.id]


def _nearest(target: Site, candidates: list[Site]) -> list[Site]:
    km = road_km(
        np.array([target.lat]),
        np.array([target.lon]),
        np.array([c.lat for c in candidates]),
        np.array([c.lon for c in candidates]),
    )
    return [candidates[i] for i in np.argsort(km, kind="stable")]
