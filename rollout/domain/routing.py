"""A zone's candidate FCs and its route path, per DESIGN section 4 rules 1, 2 and 4.

`nearest` lists every FC by great-circle distance to the zone (ties by facility id);
`nearest_in_region` lists the FCs of the zone's region the same way; an explicit list is taken as
written. A package goes FC -> `via` hops -> station, or along the fastest lane path by hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rollout.domain.assignment import NO_REGION, NO_RULE, Assignment
from rollout.domain.schema import Route

NEAREST = "nearest"
NEAREST_IN_REGION = "nearest_in_region"


@dataclass(frozen=True)
class RouteChoice:
    """The rule that applies to one zone, with its candidates resolved to facility ids."""

    rule: int
    fcs: tuple[str, ...]
    via: tuple[str, ...] | None


class ZoneRouter:
    """Candidate resolution over an `Assignment`; vectorised where callers need all zones."""

    def __init__(self, assignment: Assignment) -> None:
        self.assignment = assignment
        self.net = assignment.net
        self.routes: list[Route] = assignment.bundle.routing.routes

    def ordered_fcs(self, fcs: np.ndarray, zone: int) -> np.ndarray:
        """`fcs` (sorted by id) ordered by distance to the zone; stable sort keeps id ties."""
        if len(fcs) == 0:
            return fcs
        distances = self.net.zone_distance_km(fcs, np.array([zone]))[:, 0]
        return fcs[np.argsort(distances, kind="stable")]

    def candidates(self, zone: int) -> np.ndarray:
        """Facility positions of the zone's candidates in order (unknown ids left out)."""
        rule = int(self.assignment.zone_rule[zone])
        if rule == NO_RULE:
            return np.zeros(0, dtype=np.int64)
        fcs = self.routes[rule].fcs
        if fcs == NEAREST:
            return self.ordered_fcs(self.net.fc_positions, zone)
        if fcs == NEAREST_IN_REGION:
            region = int(self.assignment.zone_region[zone])
            if region == NO_REGION:
                return np.zeros(0, dtype=np.int64)
            return self.ordered_fcs(self.assignment.region_fcs[region], zone)
        position = self.net.facility_position
        return np.array([position[f] for f in fcs if f in position], dtype=np.int64)

    def choice(self, zone: int) -> RouteChoice | None:
        rule = int(self.assignment.zone_rule[zone])
        if rule == NO_RULE:
            return None
        ids = self.net.facility_ids
        route = self.routes[rule]
        return RouteChoice(
            rule=rule,
            fcs=tuple(ids[i] for i in self.candidates(zone)),
            via=tuple(route.via) if route.via is not None else None,
        )

    def first_candidates(self) -> np.ndarray:
        """Every zone's first candidate FC position (-1 where it has none), vectorised."""
        net, assignment = self.net, self.assignment
        first = np.full(net.n_zones, -1, dtype=np.int64)
        position = net.facility_position
        for rule, route in enumerate(self.routes):
            zones = np.flatnonzero(assignment.zone_rule == rule)
            if len(zones) == 0:
                continue
            if route.fcs == NEAREST:
                first[zones] = self._nearest_of(net.fc_positions, zones)
            elif route.fcs == NEAREST_IN_REGION:
                regions = assignment.zone_region[zones]
                for region in np.unique(regions):
                    if region == NO_REGION:
                        continue
                    in_region = zones[regions == region]
                    first[in_region] = self._nearest_of(assignment.region_fcs[region], in_region)
            else:
                known = [position[f] for f in route.fcs if f in position]
                if known:
                    first[zones] = known[0]
        return first

    def _nearest_of(self, fcs: np.ndarray, zones: np.ndarray) -> np.ndarray:
        return self.net.nearest_facility(fcs, zones)
