"""What the checks share: the bundle's arrays, graph, ownership and every zone's main path.

Derived data is computed once, lazily, and only if a check asks for it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rollout.domain.assignment import NO_RULE, Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import (
    NetworkIndex,
    great_circle_km,
    hours_for_km,
    path_from_predecessors,
    road_km,
)
from rollout.domain.routing import ZoneRouter


@dataclass
class MainPaths:
    """Each zone's route from its first candidate FC to its station.

    Zones share paths: `zone_path[z]` indexes `paths` (-1 where no path could be formed).
    `hours` is lane hours plus the last mile, NaN where the path is broken.
    """

    zone_path: np.ndarray
    paths: list[list[int]]
    path_rule: np.ndarray  # the rule each path was formed under (via paths are per rule)
    zone_hours: np.ndarray


@dataclass
class CheckContext:
    bundle: Bundle
    net: NetworkIndex
    assignment: Assignment
    router: ZoneRouter

    @classmethod
    def build(cls, bundle: Bundle) -> CheckContext:
        net = NetworkIndex(bundle.network)
        assignment = Assignment(bundle, net)
        _ = net.graph  # the graph is part of the "graph" phase, not of the checks
        return cls(bundle=bundle, net=net, assignment=assignment,
                   router=ZoneRouter(assignment))

    @cached_property
    def first_candidate(self) -> np.ndarray:
        return self.router.first_candidates()

    @cached_property
    def lane_of(self) -> dict[tuple[int, int], int]:
        """(from, to) facility positions -> the fastest lane between them."""
        net = self.net
        lookup: dict[tuple[int, int], int] = {}
        for index, (f, t) in enumerate(zip(net.lane_from.tolist(), net.lane_to.tolist(),
                                           strict=True)):
            if f < 0 or t < 0:
                continue
            best = lookup.get((f, t))
            if best is None or net.lane_hours[index] < net.lane_hours[best]:
                lookup[(f, t)] = index
        return lookup

    @cached_property
    def fc_reach(self) -> tuple[dict[int, int], np.ndarray]:
        """(FC position -> row, reachability matrix of every FC to every facility)."""
        fcs = self.net.fc_positions
        return {int(fc): row for row, fc in enumerate(fcs)}, self.net.reachable_from(fcs)

    def via_positions(self, rule: int) -> list[int] | None:
        via = self.bundle.routing.routes[rule].via
        if via is None:
            return None
        position = self.net.facility_position
        if any(hop not in position for hop in via):
            return None
        return [position[hop] for hop in via]

    @cached_property
    def last_mile_hours(self) -> np.ndarray:
        net = self.net
        station = net.zone_station
        known = station >= 0
        hours = np.full(net.n_zones, np.nan)
        s = station[known]
        km = road_km(great_circle_km(net.facility_lat[s], net.facility_lon[s],
                                     net.zone_lat[known], net.zone_lon[known]))
        hours[known] = hours_for_km(km)
        return hours

    @cached_property
    def main_paths(self) -> MainPaths:
        net, assignment = self.net, self.assignment
        rule = assignment.zone_rule
        fc = self.first_candidate
        station = net.zone_station
        usable = (rule != NO_RULE) & (fc >= 0) & (station >= 0)
        # A via rule fixes the path per rule; otherwise the path depends only on (fc, station).
        via_rule = np.array([-1 if self.bundle.routing.routes[r].via is None else r
                             for r in range(len(self.bundle.routing.routes))] or [-1],
                            dtype=np.int64)
        zone_via_rule = np.where(usable, via_rule[np.where(rule >= 0, rule, 0)], -1)
        keys = np.stack((zone_via_rule, fc, station), axis=1)[usable]
        unique_keys, inverse = (np.unique(keys, axis=0, return_inverse=True) if len(keys)
                                else (np.zeros((0, 3), dtype=np.int64), np.zeros(0, np.int64)))
        fastest_sources = np.unique(unique_keys[unique_keys[:, 0] < 0][:, 1])
        source_row = {int(s): i for i, s in enumerate(fastest_sources)}
        if len(fastest_sources):
            lane_hours, predecessors = net.fastest_paths_from(fastest_sources)
        paths: list[list[int]] = []
        path_hours = np.full(len(unique_keys), np.nan)
        for index, (via_rule_index, source, target) in enumerate(unique_keys.tolist()):
            if via_rule_index >= 0:
                hops = self.via_positions(via_rule_index)
                path = [] if hops is None else [source, *hops, target]
                lanes = [self.lane_of.get(pair) for pair in itertools.pairwise(path)]
                if path and all(lane is not None for lane in lanes):
                    path_hours[index] = float(sum(net.lane_hours[lane] for lane in lanes
                                                  if lane is not None))
                else:
                    path = []
            else:
                row = source_row[source]
                path = path_from_predecessors(predecessors[row], source, target)
                if path:
                    path_hours[index] = float(lane_hours[row, target])
            paths.append(path)
        zone_path = np.full(net.n_zones, -1, dtype=np.int64)
        zone_path[np.flatnonzero(usable)] = inverse.reshape(-1)
        zone_hours = np.full(net.n_zones, np.nan)
        has_path = zone_path >= 0
        zone_hours[has_path] = path_hours[zone_path[has_path]] + self.last_mile_hours[has_path]
        return MainPaths(zone_path=zone_path, paths=paths, path_rule=unique_keys[:, 0],
                         zone_hours=zone_hours)

    def zone_label(self, zone: int) -> str:
        return self.net.zones.ids[zone]

    def facility_label(self, facility: int) -> str:
        return self.net.facility_ids[facility]

    def region_label(self, region: int) -> str:
        return self.assignment.region_codes[region] if region >= 0 else "no region"
