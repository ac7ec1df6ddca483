"""The one route semantics: a zone's path from a candidate FC to its station, and when it is broken.

A package travels FC -> `via` hops -> station, or along the fastest lane path by hours
(DESIGN section 4 rule 4); between two facilities it takes the fastest of their lanes
(`LaneLookup`, the one lane lookup). A path is *broken* when a `via` hop is not a known
facility, a consecutive pair of its stops has no lane, the station is unknown or cannot be
reached: a broken path is the empty path for every caller (checks, diff, simulator, live answer).

Paths are resolved for all distinct keys together: one Dijkstra per distinct source FC, then
every fastest path is walked back through the predecessor matrix in lock-step with numpy, one
hop per step, instead of one Python loop per path. `zone_routes` does this for every zone of a
bundle at once: its candidates, its first candidate and that candidate's path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rollout.domain.network import NetworkIndex, great_circle_km, hours_for_km, road_km
from rollout.domain.routing import ZoneRouter
from rollout.domain.schema import Route

NO_LANE = -1
NO_PATH = -1


@dataclass(frozen=True)
class LaneLookup:
    """(from, to) facility positions -> the fastest lane between them, vectorised.

    Of duplicate lanes the fastest wins, the first written on a tie in hours.
    """

    keys: np.ndarray  # from * n + to, sorted
    lanes: np.ndarray  # lane index per key
    n: int

    @classmethod
    def build(cls, net: NetworkIndex) -> LaneLookup:
        n = net.n_facilities
        known = np.flatnonzero((net.lane_from >= 0) & (net.lane_to >= 0))
        keys = net.lane_from[known] * n + net.lane_to[known]
        # Sort by key, fastest first within a key, then keep the first of each key.
        order = np.lexsort((net.lane_hours[known], keys))
        keys, lanes = keys[order], known[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        return cls(keys=keys[first], lanes=lanes[first], n=n)

    def find(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Lane index per (source, target) pair, NO_LANE where there is none."""
        wanted = np.asarray(sources, dtype=np.int64) * self.n + np.asarray(targets,
                                                                          dtype=np.int64)
        if len(self.keys) == 0:
            return np.full(len(wanted), NO_LANE, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[at] == wanted, self.lanes[at], NO_LANE)

    def has(self, source: int, target: int) -> bool:
        """Whether some lane goes from `source` to `target`."""
        return bool(self.find(np.array([source]), np.array([target]))[0] != NO_LANE)


def via_hops(net: NetworkIndex, routes: Sequence[Route]) -> dict[int, list[int] | None]:
    """Per rule with `via`: its hops as facility positions, None when a hop is unknown (every
    path of that rule is then broken). Rules without `via` are not in the mapping."""
    position = net.facility_position
    hops: dict[int, list[int] | None] = {}
    for rule, route in enumerate(routes):
        if route.via is not None:
            known = all(hop in position for hop in route.via)
            hops[rule] = [position[hop] for hop in route.via] if known else None
    return hops


def zone_via_rule(zone_rule: np.ndarray, routes: Sequence[Route]) -> np.ndarray:
    """Per zone: its rule's index when that rule has `via`, else -1 (the fastest path)."""
    with_via = np.full(len(routes) + 1, -1, dtype=np.int64)
    for rule, route in enumerate(routes):
        if route.via is not None:
            with_via[rule] = rule
    return with_via[zone_rule]  # a zone without a rule (-1) reads the trailing -1


@dataclass(frozen=True)
class PathTable:
    """Resolved paths. Path p uses lanes `use_lane[use_path == p]`, in travel order (the uses
    are sorted by path, then along it); km and hours are the sums of its lanes (NaN when
    broken); `ok[p]` is False when the path is broken; `source[p]` is where it starts."""

    use_path: np.ndarray
    use_lane: np.ndarray
    use_to: np.ndarray  # the facility each use arrives at
    km: np.ndarray
    hours: np.ndarray
    ok: np.ndarray
    source: np.ndarray

    @cached_property
    def positions(self) -> list[tuple[int, ...]]:
        """Per path, its facilities in travel order (FC first, station last); () when broken."""
        count = len(self.ok)
        starts = np.searchsorted(self.use_path, np.arange(count + 1))
        stops = self.use_to.tolist()
        sources = self.source.tolist()
        return [(sources[p], *stops[starts[p] : starts[p + 1]]) if good else ()
                for p, good in enumerate(self.ok.tolist())]


def resolve_paths(
    net: NetworkIndex,
    lanes: LaneLookup,
    hops_of: dict[int, list[int] | None],
    via_rule: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
) -> PathTable:
    """Paths for distinct keys: `via_rule[i]` (-1 for the fastest path), `sources[i]` (an FC)
    and `targets[i]` (a station; -1 for an unknown one, a broken path). `hops_of` is
    `via_hops(...)` of the bundle. Returns one path per input row, in input order."""
    count = len(sources)
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    via_rule = np.asarray(via_rule, dtype=np.int64)
    uses = _Uses(net, count)
    ok = uses.ok
    ok[(sources < 0) | (targets < 0)] = False

    for rule in np.unique(via_rule[(via_rule >= 0) & ok]).tolist():
        rows = np.flatnonzero((via_rule == rule) & ok)
        hops = hops_of.get(rule)
        if hops is None:
            ok[rows] = False
            continue
        # Stops along the path for every row: source, the rule's hops, the row's target.
        stops = np.column_stack([sources[rows], *(np.full(len(rows), h) for h in hops),
                                 targets[rows]])
        for step in range(stops.shape[1] - 1):
            uses.add(rows, lanes.find(stops[:, step], stops[:, step + 1]), step)

    fastest = np.flatnonzero((via_rule < 0) & ok)
    if len(fastest):
        origin, row_of_source = np.unique(sources[fastest], return_inverse=True)
        _, predecessors = net.fastest_paths_from(origin)
        current = targets[fastest].copy()
        source_row = row_of_source.reshape(-1)
        active = current != sources[fastest]
        rows = fastest
        step = 0
        while active.any():
            rows, current, source_row = rows[active], current[active], source_row[active]
            previous = predecessors[source_row, current].astype(np.int64)
            unreachable = previous < 0
            lane = np.where(unreachable, NO_LANE, lanes.find(np.maximum(previous, 0), current))
            # Walking back from the station: later steps come earlier along the path.
            uses.add(rows, lane, -step)
            current = previous
            active = ~unreachable & (current != sources[rows])
            step += 1
    return uses.table(sources)


class _Uses:
    """Lane uses collected step by step while paths are resolved."""

    def __init__(self, net: NetworkIndex, count: int) -> None:
        self.net = net
        self.paths: list[np.ndarray] = []
        self.lanes: list[np.ndarray] = []
        self.steps: list[np.ndarray] = []
        self.km = np.zeros(count)
        self.hours = np.zeros(count)
        self.ok = np.ones(count, dtype=bool)

    def add(self, rows: np.ndarray, lane: np.ndarray, step: int) -> None:
        missing = lane == NO_LANE
        self.ok[rows[missing]] = False
        good_rows, good_lanes = rows[~missing], lane[~missing]
        self.paths.append(good_rows)
        self.lanes.append(good_lanes)
        self.steps.append(np.full(len(good_rows), step, dtype=np.int64))
        np.add.at(self.km, good_rows, self.net.lane_km[good_lanes])
        np.add.at(self.hours, good_rows, self.net.lane_hours[good_lanes])

    def table(self, sources: np.ndarray) -> PathTable:
        empty = np.zeros(0, dtype=np.int64)
        use_path = np.concatenate(self.paths) if self.paths else empty
        use_lane = np.concatenate(self.lanes) if self.lanes else empty
        use_step = np.concatenate(self.steps) if self.steps else empty
        kept = self.ok[use_path]
        use_path, use_lane, use_step = use_path[kept], use_lane[kept], use_step[kept]
        order = np.lexsort((use_step, use_path))
        use_path, use_lane = use_path[order], use_lane[order]
        ok = self.ok
        return PathTable(use_path=use_path, use_lane=use_lane,
                         use_to=self.net.lane_to[use_lane] if len(use_lane) else empty,
                         km=np.where(ok, self.km, np.nan), hours=np.where(ok, self.hours, np.nan),
                         ok=ok, source=sources)


@dataclass(frozen=True)
class ZoneRoutes:
    """Every zone's route: its candidates, its first candidate and that candidate's path.

    `zone_path[z]` indexes `paths` (NO_PATH when the zone has no first candidate or no known
    station); zones with the same (via rule, FC, station) share one path. `candidates` is the
    [zones, K] candidate matrix (padded with -1), or None when only first candidates were asked.
    """

    candidates: np.ndarray | None
    first: np.ndarray
    zone_path: np.ndarray
    paths: PathTable

    @cached_property
    def ok(self) -> np.ndarray:
        """Per zone: whether its first candidate has an unbroken path to its station."""
        has = self.zone_path >= 0
        out = np.zeros(len(self.zone_path), dtype=bool)
        out[has] = self.paths.ok[self.zone_path[has]]
        return out

    @cached_property
    def lane_hours(self) -> np.ndarray:
        """Per zone: the lane hours of its path (NaN where it has none or it is broken)."""
        return self._per_zone(self.paths.hours)

    @cached_property
    def lane_km(self) -> np.ndarray:
        return self._per_zone(self.paths.km)

    def path(self, zone: int) -> tuple[int, ...]:
        """The zone's path as facility positions, FC first, station last; () when none."""
        index = int(self.zone_path[zone])
        return () if index == NO_PATH else self.paths.positions[index]

    def _per_zone(self, values: np.ndarray) -> np.ndarray:
        out = np.full(len(self.zone_path), np.nan)
        has = self.zone_path >= 0
        out[has] = values[self.zone_path[has]]
        return out


def zone_routes(router: ZoneRouter, lanes: LaneLookup | None = None, *,
                first: np.ndarray | None = None) -> ZoneRoutes:
    """Every zone's candidates, first candidate and that candidate's path, for all zones at once.

    Given `first` (`router.first_candidates()`, which a caller may already hold), only first
    candidates are used and `candidates` is None: cheaper, and the same first candidates.
    """
    net, assignment = router.net, router.assignment
    lanes = lanes or LaneLookup.build(net)
    candidates = None
    if first is None:
        candidates = router.candidate_matrix()
        first = (candidates[:, 0].copy() if candidates.shape[1]
                 else np.full(net.n_zones, -1, dtype=np.int64))
    station = net.zone_station
    usable = np.flatnonzero((first >= 0) & (station >= 0))
    via = zone_via_rule(assignment.zone_rule, router.routes)[usable]
    n = max(net.n_facilities, 1)
    keys = ((via + 1) * n + first[usable]) * n + station[usable]
    unique, inverse = np.unique(keys, return_inverse=True)
    table = resolve_paths(net, lanes, via_hops(net, router.routes), unique // (n * n) - 1,
                          (unique // n) % n, unique % n)
    zone_path = np.full(net.n_zones, NO_PATH, dtype=np.int64)
    zone_path[usable] = inverse.reshape(-1)
    return ZoneRoutes(candidates=candidates, first=first, zone_path=zone_path, paths=table)


def last_mile(net: NetworkIndex) -> tuple[np.ndarray, np.ndarray]:
    """(km, hours) from each zone's station to the zone: great-circle km x 1.2 at 65 km/h,
    NaN where the station is unknown (DESIGN section 4 rule 6)."""
    station = net.zone_station
    known = station >= 0
    km = np.full(net.n_zones, np.nan)
    s = station[known]
    km[known] = road_km(great_circle_km(net.facility_lat[s], net.facility_lon[s],
                                        net.zone_lat[known], net.zone_lon[known]))
    return km, hours_for_km(km)
