"""Checks of the bundle's structure: ids, references, ownership and in-region reachability."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx
import numpy as np

from rollout.domain.checks.context import CheckContext
from rollout.domain.checks.registry import check
from rollout.domain.findings import Finding, Ref, finding
from rollout.domain.ranges import RangeError


@check("E102")
def duplicate_ids(ctx: CheckContext) -> Iterator[Finding]:
    """Facility ids, zone ids, region codes and (from, to) lanes must each be unique."""
    network, regions = ctx.bundle.network, ctx.bundle.regions.regions
    groups = (
        ("facility id", "network", "facilities", [f.id for f in network.facilities], "id"),
        ("zone id", "network", "zones", [z.id for z in network.zones], "id"),
        ("region code", "regions", "regions", [r.code for r in regions], "code"),
    )
    for what, section, key, ids, field_name in groups:
        first: dict[str, int] = {}
        for index, value in enumerate(ids):
            if value in first:
                yield finding("E102",
                              f"duplicate {what} '{value}' (first at {key}[{first[value]}])",
                              Ref(section, (key, index, field_name)))
            else:
                first[value] = index
    seen: dict[tuple[str, str], int] = {}
    for index, lane in enumerate(network.lanes):
        pair = (lane.from_, lane.to)
        if pair in seen:
            yield finding("E102", f"duplicate lane {lane.from_} -> {lane.to} "
                          f"(first at lanes[{seen[pair]}])", Ref("network", ("lanes", index)),
                          hint="merge the two lanes; one lane per direction between two "
                               "facilities")
        else:
            seen[pair] = index


@check("E110")
def unknown_references(ctx: CheckContext) -> Iterator[Finding]:
    """Stations of zones, lane ends, route candidates and via hops must name facilities.

    (Unknown facilities and zones in regions.yaml, and unknown regions in routes, are found while
    assigning ownership and reported from `Assignment.problems`.)
    """
    net, position = ctx.net, ctx.net.facility_position
    for index, zone in enumerate(ctx.bundle.network.zones):
        station = position.get(zone.station)
        if station is None:
            yield finding("E110", f"zone {zone.id} names unknown station '{zone.station}'",
                          Ref("network", ("zones", index, "station")))
        elif net.facility_type[station] != "ds":
            yield finding("E110", f"zone {zone.id}: station '{zone.station}' is a "
                          f"{net.facility_type[station]}, not a delivery station (ds)",
                          Ref("network", ("zones", index, "station")))
    for index, lane in enumerate(ctx.bundle.network.lanes):
        for end, name in (("from", lane.from_), ("to", lane.to)):
            if name not in position:
                yield finding("E110", f"lane {lane.from_} -> {lane.to}: unknown facility "
                              f"'{name}'", Ref("network", ("lanes", index, end)))
    for index, route in enumerate(ctx.bundle.routing.routes):
        if isinstance(route.fcs, list):
            for j, fc in enumerate(route.fcs):
                if fc not in position:
                    yield finding("E110", f"route candidate '{fc}' is not a known facility",
                                  Ref("routing", ("routes", index, "fcs", j)))
        for j, hop in enumerate(route.via or []):
            if hop not in position:
                yield finding("E110", f"via hop '{hop}' is not a known facility",
                              Ref("routing", ("routes", index, "via", j)))


@check("E120", "E121")
def zone_ownership(ctx: CheckContext) -> Iterator[Finding]:
    """Every zone belongs to exactly one region."""
    assignment = ctx.assignment
    for zone in np.flatnonzero(assignment.zone_claims == 0).tolist():
        yield finding("E120", f"zone {ctx.zone_label(zone)} belongs to no region",
                      Ref("network", ("zones", zone, "id")),
                      hint="add it (or a range holding it) to one region's zones")
    multi = np.flatnonzero(assignment.zone_claims > 1)
    if len(multi) == 0:
        return
    owner = assignment.zone_region
    # Point at the selector of each later region that claims an already-claimed zone.
    for region_index, region in enumerate(ctx.bundle.regions.regions):
        for j, text in enumerate(region.zones):
            try:
                selected, _ = ctx.net.zones.select(text)
            except RangeError:
                continue
            taken = selected[np.isin(selected, multi) & (owner[selected] != region_index)]
            if len(taken) == 0:
                continue
            first_owner = ctx.region_label(int(owner[taken[0]]))
            sample = ", ".join(ctx.zone_label(z) for z in taken[:5].tolist())
            more = f" and {len(taken) - 5} more" if len(taken) > 5 else ""
            yield finding("E121", f"region {region.code} claims zone{'s' if len(taken) > 1 else ''}"
                          f" {sample}{more} already in region {first_owner}",
                          Ref("regions", ("regions", region_index, "zones", j)),
                          hint="a zone belongs to exactly one region")


@check("E122")
def facility_ownership(ctx: CheckContext) -> Iterator[Finding]:
    """A facility belongs to at most one region (a shared hub may belong to none)."""
    assignment, position = ctx.assignment, ctx.net.facility_position
    for region_index, region in enumerate(ctx.bundle.regions.regions):
        for j, facility_id in enumerate(region.facilities):
            facility = position.get(facility_id)
            if facility is None or assignment.facility_claims[facility] <= 1:
                continue
            owner = int(assignment.facility_region[facility])
            if owner != region_index:
                yield finding("E122", f"facility {facility_id} is in region "
                              f"{ctx.region_label(owner)} and also in {region.code}",
                              Ref("regions", ("regions", region_index, "facilities", j)),
                              hint="leave a shared hub out of every region instead")


@check("E130", "E131")
def region_fulfilment(ctx: CheckContext) -> Iterator[Finding]:
    """Each region has an FC, and reaches each of its delivery stations from its FCs using only
    lanes between its own facilities."""
    graph, net, assignment = ctx.net.graph, ctx.net, ctx.assignment
    for region_index, region in enumerate(ctx.bundle.regions.regions):
        fcs = assignment.region_fcs[region_index]
        if len(fcs) == 0:
            yield finding("E130", f"region {region.code} has no fulfilment centre",
                          Ref("regions", ("regions", region_index)),
                          hint="list at least one facility of type fc in its facilities")
            continue
        members = {net.facility_ids[m] for m in assignment.region_facilities(region_index)}
        reached = _reachable_within(graph, [net.facility_ids[fc] for fc in fcs], members)
        for j, facility_id in enumerate(region.facilities):
            facility = net.facility_position.get(facility_id)
            if facility is None or assignment.facility_region[facility] != region_index:
                continue
            if net.facility_type[facility] == "ds" and facility_id not in reached:
                yield finding("E131", f"delivery station {facility_id} cannot be reached from "
                              f"any FC of region {region.code} through lanes inside the region",
                              Ref("regions", ("regions", region_index, "facilities", j)),
                              hint="add a lane into it from a sort centre or FC of the region")


def _reachable_within(graph: nx.DiGraph, sources: list[str], members: set[str]) -> set[str]:
    """Facilities reachable from any source using only lanes between `members`.

    One breadth-first search from all sources at once over the adjacency dicts: networkx's
    per-source `descendants` on a subgraph view is ~20x slower at national scale.
    """
    successors = graph.succ
    reached = set(sources)
    frontier = list(sources)
    while frontier:
        node = frontier.pop()
        for succ in successors[node]:
            if succ in members and succ not in reached:
                reached.add(succ)
                frontier.append(succ)
    return reached
