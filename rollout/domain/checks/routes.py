"""Checks of the routing table against the network graph.

Route findings are reported per rule (and per candidate), not per zone: a rule that covers
5,000 zones with one broken candidate is one mistake, said once with a count and examples.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

from rollout.domain.assignment import NO_REGION, NO_RULE
from rollout.domain.checks.context import CheckContext
from rollout.domain.checks.registry import check
from rollout.domain.findings import Finding, Ref, finding
from rollout.domain.routing import NEAREST, NEAREST_IN_REGION


def _zones_text(ctx: CheckContext, zones: np.ndarray, limit: int = 5) -> str:
    sample = ", ".join(ctx.zone_label(z) for z in zones[:limit].tolist())
    more = f" and {len(zones) - limit:,} more" if len(zones) > limit else ""
    return f"zone{'s' if len(zones) > 1 else ''} {sample}{more}"


@check("E142")
def candidates_are_fcs(ctx: CheckContext) -> Iterator[Finding]:
    net = ctx.net
    for index, route in enumerate(ctx.bundle.routing.routes):
        if not isinstance(route.fcs, list):
            continue
        for j, candidate in enumerate(route.fcs):
            position = net.facility_position.get(candidate)
            if position is not None and net.facility_type[position] != "fc":
                yield finding("E142", f"route candidate {candidate} is a "
                              f"{net.facility_type[position]}, not a fulfilment centre",
                              Ref("routing", ("routes", index, "fcs", j)),
                              hint="candidates ship items, so they must be facilities of type fc;"
                                   " put sort centres in via")


@check("E143")
def zones_have_routes(ctx: CheckContext) -> Iterator[Finding]:
    for zone in np.flatnonzero(ctx.assignment.zone_rule == NO_RULE).tolist():
        yield finding("E143", f"zone {ctx.zone_label(zone)} has no route",
                      Ref("network", ("zones", zone, "id")),
                      hint="add a rule covering it, e.g. region: \"*\" with fcs: nearest")


@check("E140")
def via_lanes_exist(ctx: CheckContext) -> Iterator[Finding]:
    """Every consecutive pair of FC -> via hops -> station is a lane."""
    net, assignment = ctx.net, ctx.assignment
    for index, route in enumerate(ctx.bundle.routing.routes):
        hops = ctx.via_hops.get(index)
        if hops is None or not hops:
            continue
        zones = np.flatnonzero(assignment.zone_rule == index)
        if len(zones) == 0:
            continue
        first_hop = hops[0]
        candidates = {int(c) for c in ctx.router.candidates(int(zones[0]))
                      if net.facility_type[c] == "fc"}
        if route.fcs in (NEAREST, NEAREST_IN_REGION):
            candidates = {int(c) for c in np.unique(ctx.first_candidate[zones]) if c >= 0}
        for fc in sorted(candidates):
            if not ctx.lanes.has(fc, first_hop):
                yield finding("E140", f"no lane {net.facility_ids[fc]} -> "
                              f"{net.facility_ids[first_hop]} for the first via hop",
                              Ref("routing", ("routes", index, "via", 0)))
        for j, (a, b) in enumerate(itertools.pairwise(hops)):
            if not ctx.lanes.has(a, b):
                yield finding("E140", f"no lane {net.facility_ids[a]} -> {net.facility_ids[b]} "
                              "between via hops", Ref("routing", ("routes", index, "via", j + 1)))
        last = hops[-1]
        stations = net.zone_station[zones]
        for station in np.unique(stations[stations >= 0]).tolist():
            if not ctx.lanes.has(last, station):
                served = zones[stations == station]
                yield finding("E140", f"no lane {net.facility_ids[last]} -> "
                              f"{net.facility_ids[station]} from the last via hop to the "
                              f"station of {_zones_text(ctx, served)}",
                              Ref("routing", ("routes", index, "via", len(hops) - 1)))


@check("E141")
def candidates_reach_stations(ctx: CheckContext) -> Iterator[Finding]:
    """Without `via`, each candidate FC needs some lane path to the zone's station."""
    net, assignment = ctx.net, ctx.assignment
    row_of, reach = ctx.fc_reach
    for index, route in enumerate(ctx.bundle.routing.routes):
        if route.via is not None:
            continue
        zones = np.flatnonzero(assignment.zone_rule == index)
        zones = zones[net.zone_station[zones] >= 0]
        if len(zones) == 0:
            continue
        # One finding per place in the YAML: for `nearest` that is the rule's fcs, however
        # many FCs fail to reach the station.
        broken: dict[Ref, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        for candidate, where, zone_subset in _candidate_groups(ctx, index, zones):
            stations = net.zone_station[zone_subset]
            unreachable = ~reach[row_of[candidate], stations]
            if unreachable.any():
                broken.setdefault(where, []).append(
                    (candidate, zone_subset[unreachable], stations[unreachable]))
        for where, failures in broken.items():
            fcs = [net.facility_ids[c] for c, _, _ in failures]
            bad_zones = np.unique(np.concatenate([z for _, z, _ in failures]))
            missing = sorted({net.facility_ids[s] for _, _, st in failures for s in st.tolist()})
            yield finding("E141", f"no lane path from {_names(fcs)} to "
                          f"station{'s' if len(missing) > 1 else ''} {_names(missing)} "
                          f"({_zones_text(ctx, bad_zones)})", where,
                          hint="add lanes, or give the route a via path")


def _names(names: list[str], limit: int = 5) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _candidate_groups(
    ctx: CheckContext, rule: int, zones: np.ndarray
) -> Iterator[tuple[int, Ref, np.ndarray]]:
    """(candidate FC, where to point, the zones it is a candidate for) for one rule."""
    net, assignment = ctx.net, ctx.assignment
    route = ctx.bundle.routing.routes[rule]
    if route.fcs == NEAREST:
        for fc in net.fc_positions.tolist():
            yield fc, Ref("routing", ("routes", rule, "fcs")), zones
    elif route.fcs == NEAREST_IN_REGION:
        regions = assignment.zone_region[zones]
        for region in np.unique(regions[regions != NO_REGION]).tolist():
            in_region = zones[regions == region]
            for fc in assignment.region_fcs[region].tolist():
                yield fc, Ref("routing", ("routes", rule, "fcs")), in_region
    else:
        for j, candidate in enumerate(route.fcs):
            position = net.facility_position.get(candidate)
            if position is not None and net.facility_type[position] == "fc":
                yield position, Ref("routing", ("routes", rule, "fcs", j)), zones


@check("W150")
def first_candidate_in_region(ctx: CheckContext) -> Iterator[Finding]:
    assignment = ctx.assignment
    zone_region = assignment.zone_region
    # A trailing NO_REGION makes index -1 (no first candidate) read as "no region", and keeps
    # the lookup valid when the network has no facilities at all.
    fc_region = np.append(assignment.facility_region, NO_REGION)[ctx.first_candidate]
    outside = (ctx.first_candidate >= 0) & (zone_region != NO_REGION) & (fc_region != zone_region)
    for index, route in enumerate(ctx.bundle.routing.routes):
        if route.fcs == NEAREST_IN_REGION:
            continue
        zones = np.flatnonzero(outside & (assignment.zone_rule == index))
        if len(zones) == 0:
            continue
        z = int(zones[0])
        example = (f"e.g. zone {ctx.zone_label(z)} of {ctx.region_label(int(zone_region[z]))} "
                   f"ships first from {ctx.facility_label(int(ctx.first_candidate[z]))} of "
                   f"{ctx.region_label(int(fc_region[z]))}")
        where = ("routes", index, "fcs", 0) if isinstance(route.fcs, list) else ("routes", index,
                                                                                 "fcs")
        yield finding("W150", f"first candidate FC lies outside the zone's region for "
                      f"{len(zones):,} zone{'s' if len(zones) > 1 else ''} ({example})",
                      Ref("routing", where))


@check("W151")
def path_stays_in_region(ctx: CheckContext) -> Iterator[Finding]:
    """The main path (first candidate -> station) passes through no other region's facility."""
    assignment, routes = ctx.assignment, ctx.routes
    facility_region = assignment.facility_region
    paths = routes.paths.positions
    # Per path, the regions of the facilities it passes after leaving the FC (hubs in no region
    # are allowed, so they are left out).
    path_regions = [{int(facility_region[f]) for f in path[1:]} - {NO_REGION} for path in paths]
    for index, _route in enumerate(ctx.bundle.routing.routes):
        zones = np.flatnonzero((assignment.zone_rule == index) & (routes.zone_path >= 0)
                               & (assignment.zone_region != NO_REGION))
        offenders: list[tuple[int, int]] = []
        for zone, path_index in zip(zones.tolist(), routes.zone_path[zones].tolist(),
                                    strict=True):
            region = int(assignment.zone_region[zone])
            if not path_regions[path_index] - {region}:
                continue
            facility = next(f for f in paths[path_index][1:]
                            if int(facility_region[f]) not in (NO_REGION, region))
            offenders.append((zone, facility))
        if offenders:
            zone, facility = offenders[0]
            path_text = " -> ".join(ctx.facility_label(f) for f in routes.path(zone))
            yield finding("W151", f"route path passes through another region's facility for "
                          f"{len(offenders):,} zone{'s' if len(offenders) > 1 else ''} (e.g. zone "
                          f"{ctx.zone_label(zone)} of "
                          f"{ctx.region_label(int(assignment.zone_region[zone]))}: {path_text}, "
                          f"{ctx.facility_label(facility)} is in "
                          f"{ctx.region_label(int(facility_region[facility]))})",
                          Ref("routing", ("routes", index)))


@check("W170")
def transit_within_sla(ctx: CheckContext) -> Iterator[Finding]:
    sla = ctx.bundle.regions.policy.sla_hours
    if sla is None:
        return
    hours, assignment = ctx.zone_hours, ctx.assignment
    slow = np.nan_to_num(hours, nan=-1.0) > sla
    for index, _route in enumerate(ctx.bundle.routing.routes):
        zones = np.flatnonzero(slow & (assignment.zone_rule == index))
        if len(zones) == 0:
            continue
        worst = int(zones[np.argmax(hours[zones])])
        yield finding("W170", f"transit time over the {sla:g} h SLA for {_zones_text(ctx, zones)}"
                      f" (slowest: zone {ctx.zone_label(worst)}, "
                      f"{hours[worst]:.1f} h)", Ref("routing", ("routes", index)),
                      hint="lane hours along the route plus the last mile at 65 km/h")
