"""Route changes: zones whose candidate FCs or first candidate's path differ between two sides.

Each side's routes (candidates, first candidate, its path; a broken path reads as empty) come
from `paths.zone_routes`, the one route semantics, resolved for all zones at once.
"""

from __future__ import annotations

import numpy as np

from rollout.domain.diff.changes import RouteChanges
from rollout.domain.diff.sides import CommonZones, Side


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
    routes = side.routes
    assert routes.candidates is not None  # built with candidates
    ids = side.net.facility_ids
    # Interned id of each distinct path (0, the empty path, for a broken one), then per zone.
    path_ids = np.array([paths.intern(tuple(ids[f] for f in path))
                         for path in routes.paths.positions] + [0], dtype=np.int64)
    zone_paths = path_ids[routes.zone_path]  # NO_PATH (-1) reads the trailing empty path
    index = {name: i for i, name in enumerate(names)}
    to_names = np.array([index[f] for f in ids] + [-1], dtype=np.int32)
    # -1 (padding) indexes the appended -1, so padding stays padding.
    return to_names[routes.candidates[rows]], zone_paths[rows]


def _pad(matrix: np.ndarray, width: int) -> np.ndarray:
    if matrix.shape[1] == width:
        return matrix
    padded = np.full((matrix.shape[0], width), -1, dtype=matrix.dtype)
    padded[:, : matrix.shape[1]] = matrix
    return padded
