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
    in_networks = {zone.id for region in regions for zone in region.bundle.network.zones}
    gaps = sorted((set(ever_claimed) & in_networks) - set(owner))
    bundle = _composite_bundle(regions, owner)
    return CompositeState(
        bundle=bundle,
        region_versions={r.code: r.version_id for r in regions},
        zone_owner={zone: region.code for zone, region in owner.items()},
        gaps=gaps,
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


def _composite_bundle(regions: list[LiveRegion], owner: dict[str, LiveRegion]) -> Bundle:
    """Facilities, lanes and zones: union over the live versions, the most recent one winning
    for an id that several define; regions and routes from each region's own version."""
    facilities: dict[str, Facility] = {}
    lanes: dict[tuple[str, str], Lane] = {}
    zones: dict[str, Zone] = {}
    for region in regions:
        network = region.bundle.network
        facilities.update((f.id, f) for f in network.facilities)
        lanes.update(((lane.from_, lane.to), lane) for lane in network.lanes)
    for region in regions:
        for zone in region.bundle.network.zones:
            if owner.get(zone.id) is region:
                zones[zone.id] = zone
    # Zones in network order (the newest live version's first), not in activation order:
    # generated demand is drawn zone by zone, so all regions on one version must simulate
    # exactly like that version.
    order: dict[str, int] = {}
    for region in reversed(regions):
        for zone in region.bundle.network.zones:
            order.setdefault(zone.id, len(order))
    zones = dict(sorted(zones.items(), key=lambda item: order[item[0]]))

    composite_regions: list[Region] = []
    routes: list[Route] = []
    for region in regions:
        owned = [z for z in zones if owner[z] is region]
        definition = next(r for r in region.bundle.regions.regions if r.code == region.code)
        composite_regions.append(Region(code=region.code, name=definition.name, zones=owned,
                                        facilities=list(definition.facilities)))
        routes.extend(_routes_for(region, set(owned)))
    latest = regions[-1].bundle
    return Bundle(
        network=Network(facilities=list(facilities.values()), zones=list(zones.values()),
                        lanes=list(lanes.values())),
        regions=Regions(regions=composite_regions, policy=latest.regions.policy),
        routing=Routing(routes=routes, fallback=latest.routing.fallback),
        demand=latest.demand,
    )


def _routes_for(region: LiveRegion, owned: set[str]) -> list[Route]:
    """The region's zones' rules from its own version, as explicit `zones:` rules."""
    assignment = _assignment(region.bundle)
    ids = assignment.net.zones.ids
    out: list[Route] = []
    for rule, route in enumerate(region.bundle.routing.routes):
        covered = [ids[p] for p in np.flatnonzero(assignment.zone_rule == rule).tolist()
                   if ids[p] in owned]
        if covered:
            out.append(Route(zones=covered, fcs=route.fcs, via=route.via))
    return out


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
