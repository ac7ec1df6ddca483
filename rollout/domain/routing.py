"""A zone's candidate FCs, per DESIGN section 4 rules 1 and 2.

`nearest` lists every FC by great-circle distance to the zone (ties by facility id);
`nearest_in_region` lists the FCs of the zone's region the same way; an explicit list is taken as
written. The path from a candidate to the zone's station is `paths.py`'s (`zone_routes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rollout.domain.assignment import NO_REGION, NO_RULE, Assignment
from rollout.domain.schema import Route

NEAREST = "nearest"
NEAREST_IN_REGION = "nearest_in_region"
#: Zones per batch when ordering FCs by distance: bounds the [FCs x zones] float matrix in memory.
_CHUNK = 8192


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

    def candidate_matrix(self, zones: np.ndarray | None = None) -> np.ndarray:
        """Candidates of many zones at once, as facility positions (int64).

        Rows are `zones` in the order given (every zone of the network when None); row i holds
        exactly `self.candidates(zones[i])`, in order, from column 0, and is padded on the right
        with -1. The width is the largest candidate count among the rows (0 when none has any),
        so a zone without a rule, or `nearest_in_region` without a region, is a row of -1.
        Rules are resolved in batches of zones (one distance matrix and stable argsort per
        batch) instead of zone by zone.
        """
        net, assignment = self.net, self.assignment
        if zones is None:
            zones = np.arange(net.n_zones, dtype=np.int64)
        rules, regions = assignment.zone_rule[zones], assignment.zone_region[zones]
        # (rows of the result, their candidates): every row of a block has the same count.
        blocks: list[tuple[np.ndarray, np.ndarray]] = []
        for rule, route in enumerate(self.routes):
            rows = np.flatnonzero(rules == rule)
            if len(rows) == 0:
                continue
            if route.fcs == NEAREST:
                blocks.append((rows, self._nearest_first(net.fc_positions, zones[rows])))
            elif route.fcs == NEAREST_IN_REGION:
                row_regions = regions[rows]
                for region in np.unique(row_regions[row_regions != NO_REGION]).tolist():
                    in_region = rows[row_regions == region]
                    fcs = assignment.region_fcs[region]
                    blocks.append((in_region, self._nearest_first(fcs, zones[in_region])))
            else:
                known = [net.facility_position[f] for f in route.fcs if f in net.facility_position]
                blocks.append((rows, np.tile(np.array(known, dtype=np.int64), (len(rows), 1))))
        width = max((block.shape[1] for _, block in blocks), default=0)
        out = np.full((len(zones), width), -1, dtype=np.int64)
        for rows, block in blocks:
            out[rows, : block.shape[1]] = block
        return out

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
        """Every zone's first candidate FC position (-1 where it has none), vectorised: equal to
        column 0 of `candidate_matrix()` without ordering the other candidates."""
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
        """Per zone, the nearest of `fcs` (sorted by id; the smallest id on a tie): exactly the
        first column of `_nearest_first`, as both read the same great-circle distances."""
        if len(fcs) == 0:
            return np.full(len(zones), -1, dtype=np.int64)
        out = np.empty(len(zones), dtype=np.int64)
        for start in range(0, len(zones), _CHUNK):
            chunk = zones[start : start + _CHUNK]
            distances = self.net.zone_distance_km(fcs, chunk)
            out[start : start + len(chunk)] = fcs[np.argmin(distances, axis=0)]
        return out

    def _nearest_first(self, fcs: np.ndarray, zones: np.ndarray) -> np.ndarray:
        """[len(zones), len(fcs)]: per zone, `fcs` (sorted by id) nearest first, id breaking
        ties."""
        out = np.empty((len(zones), len(fcs)), dtype=np.int64)
        if len(fcs) == 0:
            return out
        for start in range(0, len(zones), _CHUNK):
            chunk = zones[start : start + _CHUNK]
            order = np.argsort(self.net.zone_distance_km(fcs, chunk), axis=0, kind="stable")
            out[start : start + len(chunk)] = fcs[order].T
        return out
