"""Route changes: zones whose candidate FCs or first candidate's path differ between two sides.

Routes are compared for every zone, so that work is batched: candidates are resolved per routing
rule over chunks of zones (`ZoneRouter.candidate_matrix`), and fastest paths come from one
Dijkstra per distinct first-candidate FC, walked once per distinct (FC, station) pair.
"""

from __future__ import annotations

import numpy as np

from rollout.domain.diff.changes import RouteChanges
from rollout.domain.diff.sides import CommonZones, Side
from rollout.domain.network import NetworkIndex, path_from_predecessors


class _Paths:
    """Interns paths (tuples of facility ids) as small integers; id 0 is the empty path."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, ...]] = [()]
        self._ids: dict[tuple[str, ...], int] = {(): 0}

    def intern(self, path: tuple[str, ...]) -> int:
        found = self._ids.get(path)
        if found is None:
            found = self._ids[path] = len(self.paths)
            self.paths.append(path)
        return found


def route_changes(before: Side, after: Side, common: CommonZones) -> RouteChanges:
    """Zones on both sides whose candidate list or first-candidate path differs."""
    names = sorted(set(before.net.facility_ids) | set(after.net.facility_ids))
    paths = _Paths()
    old_fcs, old_paths = _routes_of(before, common.old_rows, names, paths)
    new_fcs, new_paths = _routes_of(after, common.new_rows, names, paths)
    width = max(old_fcs.shape[1], new_fcs.shape[1])
    old_fcs, new_fcs = _pad(old_fcs, width), _pad(new_fcs, width)
    changed = np.flatnonzero((old_fcs != new_fcs).any(axis=1) | (old_paths != new_paths))
    return RouteChanges([common.ids[z] for z in changed.tolist()], names, old_fcs[changed],
                        new_fcs[changed], [paths.paths[p] for p in old_paths[changed].tolist()],
                        [paths.paths[p] for p in new_paths[changed].tolist()])


def _routes_of(side: Side, rows: np.ndarray, names: list[str],
               paths: _Paths) -> tuple[np.ndarray, np.ndarray]:
    """For the zones at `rows`: candidates as indexes into `names` (padded with -1), path ids."""
    candidates = side.router.candidate_matrix()
    zone_paths = _zone_paths(side, candidates[:, 0] if candidates.shape[1] else
                             np.full(side.net.n_zones, -1, dtype=np.int64), paths)
    index = {name: i for i, name in enumerate(names)}
    to_names = np.array([index[f] for f in side.net.facility_ids] + [-1], dtype=np.int32)
    # -1 (padding) indexes the appended -1, so padding stays padding.
    return to_names[candidates[rows]], zone_paths[rows]


def _pad(matrix: np.ndarray, width: int) -> np.ndarray:
    if matrix.shape[1] == width:
        return matrix
    padded = np.full((matrix.shape[0], width), -1, dtype=matrix.dtype)
    padded[:, : matrix.shape[1]] = matrix
    return padded


def _zone_paths(side: Side, first: np.ndarray, paths: _Paths) -> np.ndarray:
    """Per zone, the id in `paths` of its route from its first candidate: FC, the rule's `via`
    hops, station; without `via` the fastest lane path by hours. Empty when the zone has no
    candidate or no station in the network, or the station cannot be reached."""
    net, rules = side.net, side.assignment.zone_rule
    # NO_RULE (-1) indexes the appended False: a zone without a rule has no `via`.
    has_via = np.array([r.via is not None for r in side.router.routes] + [False])[rules]
    usable = (first >= 0) & (net.zone_station >= 0)
    out = np.zeros(net.n_zones, dtype=np.int64)
    via_zones = np.flatnonzero(usable & has_via)
    if len(via_zones):
        out[via_zones] = _via_paths(side, first[via_zones], via_zones, paths)
    lane_zones = np.flatnonzero(usable & ~has_via)
    if len(lane_zones):
        out[lane_zones] = _fastest_paths(net, first[lane_zones],
                                         net.zone_station[lane_zones], paths)
    return out


def _via_paths(side: Side, first: np.ndarray, zones: np.ndarray, paths: _Paths) -> np.ndarray:
    ids, routes = side.net.facility_ids, side.router.routes
    keys = np.stack([side.assignment.zone_rule[zones], first, side.net.zone_station[zones]], 1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    interned = [paths.intern((ids[fc], *(routes[rule].via or ()), ids[station]))
                for rule, fc, station in unique.tolist()]
    return np.array(interned, dtype=np.int64)[inverse.ravel()]


def _fastest_paths(net: NetworkIndex, first: np.ndarray, stations: np.ndarray,
                   paths: _Paths) -> np.ndarray:
    """Fastest lane paths first[i] -> stations[i]: one Dijkstra per distinct source, one walk
    per distinct (source, station) pair."""
    sources = np.unique(first)
    _, predecessors = net.fastest_paths_from(sources)
    row = np.searchsorted(sources, first)
    unique, inverse = np.unique(row * net.n_facilities + stations, return_inverse=True)
    ids = net.facility_ids
    interned = []
    for key in unique.tolist():
        source_row, station = divmod(key, net.n_facilities)
        walk = path_from_predecessors(predecessors[source_row], int(sources[source_row]), station)
        interned.append(paths.intern(tuple(ids[i] for i in walk)))
    return np.array(interned, dtype=np.int64)[inverse.ravel()]
