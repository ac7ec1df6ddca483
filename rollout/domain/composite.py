"""The composite state: the network as it is live right now, regions on different versions.

DESIGN section 5: a zone belongs to the region, among the live regions claiming it, that was
activated most recently; its routes and facilities come from that region's version. A zone that
a live region once claimed, that is still in a live version's network, and that no live region
claims now is a coverage gap (an error); a zone no activation ever claimed is simply not live
yet, and a zone no live network has any more was retired.

The composite is itself a `Bundle` (each live region's zones listed explicitly, each zone's
routing rule re-expressed as a `zones:` rule), so the same check catalogue and the same
simulator run over it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from rollout.domain.assignment import NO_REGION, Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.findings import Finding
from rollout.domain.network import NetworkIndex
from rollout.domain.schema import Facility, Lane, Network, Region, Regions, Route, Routing, Zone


@dataclass(frozen=True)
class LiveRegion:
    """A region's latest activation: its code, version, that version's bundle, and the
    activation's sequence number (higher = more recent)."""

    code: str
    version_id: str
    bundle: Bundle
    sequence: int


@dataclass
class CompositeState:
    bundle: Bundle | None
    region_versions: dict[str, str] = field(default_factory=dict)
    #: zone id -> live region code
    zone_owner: dict[str, str] = field(default_factory=dict)
    #: zones that were live once and that no live region claims now
    gaps: list[str] = field(default_factory=list)
    #: per rule of the composite's routing, the live region it belongs to (each region's
    #: rules are re-expressed for its own zones, so every rule belongs to exactly one region)
    rule_region: list[str] = field(default_factory=list)

    @property
    def live_zones(self) -> set[str]:
        return set(self.zone_owner)


def claimed_zones(bundle: Bundle, code: str) -> list[str]:
    """The zone ids region `code` claims in `bundle` (its selectors expanded)."""
    assignment = _assignment(bundle)
    region = assignment.region_position.get(code)
    if region is None:
        return []
    positions = assignment.region_zone_sets[region]
    ids = assignment.net.zones.ids
    return [ids[p] for p in positions.tolist()]


def compose(live: Iterable[LiveRegion], ever_claimed: Iterable[str] = ()) -> CompositeState:
    """Build the composite state of the live regions. `ever_claimed` holds every zone any
    activation has ever made live (for coverage gaps)."""
    regions = sorted(live, key=lambda r: r.sequence)
    if not regions:
        return CompositeState(bundle=None, gaps=sorted(set(ever_claimed)))
    owner: dict[str, LiveRegion] = {}
    for region in regions:  # later activations overwrite earlier claims
        for zone in claimed_zones(region.bundle, region.code):
            owner[zone] = region
    # A zone that no live version's network has any more was retired, not lost.
    in_networks = _network_union([r.bundle for r in regions]).zone_order
    gaps = sorted(zone for zone in set(ever_claimed) - set(owner) if zone in in_networks)
    bundle, rule_region = _composite_bundle(regions, owner)
    return CompositeState(
        bundle=bundle,
        region_versions={r.code: r.version_id for r in regions},
        zone_owner={zone: region.code for zone, region in owner.items()},
        gaps=gaps,
        rule_region=rule_region,
    )


def gap_findings(state: CompositeState) -> list[Finding]:
    """One E120 per coverage gap (no position: the composite has no files)."""
    return [
        Finding(code="E120", message=f"zone {zone} was live but no live region claims it now "
                "(coverage gap)",
                hint="activate the region that takes the zone over in the same phase as, or "
                     "before, the region that gives it up")
        for zone in state.gaps
    ]


def _composite_bundle(regions: list[LiveRegion],
                      owner: dict[str, LiveRegion]) -> tuple[Bundle, list[str]]:
    """Facilities, lanes and zones: union over the live versions, the most recent one winning
    for an id that several define; regions and routes from each region's own version. Also
    the region each route belongs to."""
    union = _network_union([r.bundle for r in regions])
    # Zones in network order (the newest live version's first), not in activation order:
    # generated demand is drawn zone by zone, so all regions on one version must simulate
    # exactly like that version.
    records = {id(region): _zones_of(region.bundle) for region in regions}
    owned_by: dict[int, list[str]] = {id(region): [] for region in regions}
    zones: list[Zone] = []
    for zone_id in union.zone_order:  # one pass, in network order
        region = owner.get(zone_id)
        if region is not None:
            zones.append(records[id(region)][zone_id])
            owned_by[id(region)].append(zone_id)
    composite_regions: list[Region] = []
    routes: list[Route] = []
    rule_region: list[str] = []
    for region in regions:
        owned = owned_by[id(region)]
        definition = next(r for r in region.bundle.regions.regions if r.code == region.code)
        # Built from validated parts: no need to validate 40,000 zone ids again.
        composite_regions.append(Region.model_construct(
            code=region.code, name=definition.name, zones=owned,
            facilities=list(definition.facilities)))
        own_routes = _routes_for(region, set(owned))
        routes.extend(own_routes)
        rule_region.extend([region.code] * len(own_routes))
    latest = regions[-1].bundle
    return Bundle(
        network=Network.model_construct(facilities=union.facilities, zones=zones,
                                        lanes=union.lanes),
        regions=Regions.model_construct(regions=composite_regions, policy=latest.regions.policy),
        routing=Routing.model_construct(routes=routes, fallback=latest.routing.fallback),
        demand=latest.demand,
    ), rule_region


def _routes_for(region: LiveRegion, owned: set[str]) -> list[Route]:
    """The region's zones' rules from its own version, as explicit `zones:` rules."""
    assignment = _assignment(region.bundle)
    ids, position = assignment.net.zones.ids, assignment.net.zones.position
    zones = np.sort(np.array([position[z] for z in owned if z in position], dtype=np.int64))
    rules = assignment.zone_rule[zones]
    zones, rules = zones[rules >= 0], rules[rules >= 0]
    order = np.argsort(rules, kind="stable")  # by rule; zones of a rule stay in network order
    zones, rules = zones[order], rules[order]
    if len(rules) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, rules[1:] != rules[:-1]])
    out: list[Route] = []
    for start, stop in zip(starts, [*list(starts[1:]), len(rules)], strict=True):
        route = region.bundle.routing.routes[int(rules[start])]
        out.append(Route.model_construct(zones=[ids[p] for p in zones[start:stop].tolist()],
                                         fcs=route.fcs, via=route.via))
    return out


@dataclass(frozen=True)
class _Union:
    """The facilities and lanes of several versions' networks (the most recent version
    winning for an id several define), and every zone id with its place in network order."""

    bundles: tuple[Bundle, ...]  # held so that the ids in the cache key stay theirs
    facilities: list[Facility]
    lanes: list[Lane]
    zone_order: dict[str, int]


_UNIONS: dict[tuple[int, ...], _Union] = {}
_ZONES: dict[int, tuple[Bundle, dict[str, Zone]]] = {}


def _network_union(bundles: list[Bundle]) -> _Union:
    """Cached per sequence of bundles: a plan check composes the same few versions again and
    again, and the union of 40,000 zones and 11,000 lanes is most of a compose."""
    distinct = tuple(b for i, b in enumerate(bundles) if i == 0 or b is not bundles[i - 1])
    key = tuple(id(b) for b in distinct)
    cached = _UNIONS.get(key)
    if cached is not None:
        return cached
    if len(_UNIONS) >= 16:
        _UNIONS.clear()
    network = distinct[-1].network
    if all(b.network is network for b in distinct) and _no_repeated_ids(network):
        # Versions that share one parsed network: the union is that network.
        union = _UNIONS[key] = _Union(bundles=distinct, facilities=network.facilities,
                                      lanes=network.lanes,
                                      zone_order=_zone_order(distinct[-1:]))
        return union
    facilities: dict[str, Facility] = {}
    lanes: dict[tuple[str, str], Lane] = {}
    for bundle in distinct:
        facilities.update((f.id, f) for f in bundle.network.facilities)
        lanes.update(((lane.from_, lane.to), lane) for lane in bundle.network.lanes)
    union = _UNIONS[key] = _Union(bundles=distinct, facilities=list(facilities.values()),
                                  lanes=list(lanes.values()), zone_order=_zone_order(distinct))
    return union


def _no_repeated_ids(network: Network) -> bool:
    """No facility id and no (from, to) lane twice: then the union of the network with itself
    is the network as written (a valid one always is)."""
    return (len({f.id for f in network.facilities}) == len(network.facilities)
            and len({(lane.from_, lane.to) for lane in network.lanes}) == len(network.lanes))


def _zone_order(bundles: tuple[Bundle, ...]) -> dict[str, int]:
    """Every zone id of the bundles' networks, the newest bundle's first, in network order."""
    order: dict[str, int] = {}
    for bundle in reversed(bundles):
        for zone in bundle.network.zones:
            order.setdefault(zone.id, len(order))
    return order


def _zones_of(bundle: Bundle) -> dict[str, Zone]:
    cached = _ZONES.get(id(bundle))
    if cached is None or cached[0] is not bundle:
        if len(_ZONES) >= 32:
            _ZONES.clear()
        cached = _ZONES[id(bundle)] = (bundle, {z.id: z for z in bundle.network.zones})
    return cached[1]


_ASSIGNMENTS: dict[int, Assignment] = {}


def _assignment(bundle: Bundle) -> Assignment:
    """Assignments per bundle object (bundles of stored versions are immutable and cached)."""
    key = id(bundle)
    cached = _ASSIGNMENTS.get(key)
    if cached is None or cached.bundle is not bundle:
        if len(_ASSIGNMENTS) > 32:
            _ASSIGNMENTS.clear()
        cached = Assignment(bundle, NetworkIndex(bundle.network))
        _ASSIGNMENTS[key] = cached
    return cached


__all__ = ["NO_REGION", "CompositeState", "LiveRegion", "claimed_zones", "compose",
           "gap_findings"]
