"""Route paths as arrays: each distinct (via rule, FC, station) is resolved to its lanes once.

A package travels FC -> `via` hops -> station, or along the fastest lane path by hours
(DESIGN section 4 rule 4). Paths are resolved for all distinct keys together: one Dijkstra per
distinct source FC, then every fastest path is walked back through the predecessor matrix in
lock-step with numpy, one hop per step, instead of one Python loop per path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rollout.domain.network import NetworkIndex

NO_LANE = -1


@dataclass(frozen=True)
class LaneLookup:
    """(from, to) facility positions -> the fastest lane between them, vectorised."""

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
        wanted = sources * self.n + targets
        at = np.minimum(np.searchsorted(self.keys, wanted), max(len(self.keys) - 1, 0))
        if len(self.keys) == 0:
            return np.full(len(wanted), NO_LANE, dtype=np.int64)
        return np.where(self.keys[at] == wanted, self.lanes[at], NO_LANE)


@dataclass(frozen=True)
class PathTable:
    """Resolved paths. Path p uses lanes `use_lane[use_path == p]`; km and hours are the sums
    of its lanes; `ok[p]` is False when a via hop has no lane or the station is unreachable."""

    use_path: np.ndarray
    use_lane: np.ndarray
    km: np.ndarray
    hours: np.ndarray
    ok: np.ndarray


def resolve_paths(
    net: NetworkIndex,
    lanes: LaneLookup,
    via_hops: dict[int, list[int] | None],
    via_rule: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
) -> PathTable:
    """Paths for distinct keys: `via_rule[i]` (-1 for the fastest path), `sources[i]` (an FC)
    and `targets[i]` (a station). Returns one path per input row, in input order."""
    count = len(sources)
    uses_path: list[np.ndarray] = []
    uses_lane: list[np.ndarray] = []
    km = np.zeros(count)
    hours = np.zeros(count)
    ok = np.ones(count, dtype=bool)

    for rule in np.unique(via_rule[via_rule >= 0]).tolist():
        rows = np.flatnonzero(via_rule == rule)
        hops = via_hops.get(rule)
        if hops is None:
            ok[rows] = False
            continue
        # Stops along the path for every row: source, the rule's hops, the row's target.
        stops = np.column_stack([sources[rows], *(np.full(len(rows), h) for h in hops),
                                 targets[rows]])
        for step in range(stops.shape[1] - 1):
            lane = lanes.find(stops[:, step], stops[:, step + 1])
            _add_uses(net, rows, lane, uses_path, uses_lane, km, hours, ok)

    fastest = np.flatnonzero(via_rule < 0)
    if len(fastest):
        origin, row_of_source = np.unique(sources[fastest], return_inverse=True)
        _, predecessors = net.fastest_paths_from(origin)
        current = targets[fastest].copy()
        source_row = row_of_source.reshape(-1)
        active = current != sources[fastest]
        rows = fastest
        while active.any():
            rows, current, source_row = rows[active], current[active], source_row[active]
            previous = predecessors[source_row, current].astype(np.int64)
            unreachable = previous < 0
            ok[rows[unreachable]] = False
            lane = np.where(unreachable, NO_LANE,
                            lanes.find(np.maximum(previous, 0), current))
            _add_uses(net, rows, lane, uses_path, uses_lane, km, hours, ok)
            current = previous
            active = ~unreachable & (current != sources[rows])

    use_path = np.concatenate(uses_path) if uses_path else np.zeros(0, dtype=np.int64)
    use_lane = np.concatenate(uses_lane) if uses_lane else np.zeros(0, dtype=np.int64)
    broken = ~ok[use_path]
    return PathTable(use_path=use_path[~broken], use_lane=use_lane[~broken],
                     km=np.where(ok, km, np.nan), hours=np.where(ok, hours, np.nan), ok=ok)


def _add_uses(
    net: NetworkIndex,
    rows: np.ndarray,
    lane: np.ndarray,
    uses_path: list[np.ndarray],
    uses_lane: list[np.ndarray],
    km: np.ndarray,
    hours: np.ndarray,
    ok: np.ndarray,
) -> None:
    missing = lane == NO_LANE
    ok[rows[missing]] = False
    good_rows, good_lanes = rows[~missing], lane[~missing]
    uses_path.append(good_rows)
    uses_lane.append(good_lanes)
    np.add.at(km, good_rows, net.lane_km[good_lanes])
    np.add.at(hours, good_rows, net.lane_hours[good_lanes])
