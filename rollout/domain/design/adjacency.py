"""Zone adjacency for contiguous regions: the Delaunay triangulation of the zone centroids.

Two zones are neighbours when their centroids share an edge of the triangulation (scipy's Qhull)
of the points projected equirectangularly around the mean latitude. The graph is sparse (about
six neighbours a zone, never a zones × zones matrix) and connected whenever there are two zones
or more, so "one connected area" is always reachable for the whole country. Coincident or
collinear centroids are handled by Qhull's joggle option (`QJ`).
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.sparse import csr_array
from scipy.spatial import Delaunay

from rollout.domain.design.problem import FloatArray, IntArray


def zone_adjacency(lat: FloatArray, lon: FloatArray) -> csr_array:
    """Symmetric boolean zones × zones sparse matrix of Delaunay neighbours (O(zones) entries)."""
    n = int(lat.shape[0])
    if n < 2:
        return csr_array((n, n), dtype=bool)
    if n == 2:
        rows, cols = np.array([0, 1]), np.array([1, 0])
    elif n == 3:
        rows, cols = np.array([0, 0, 1, 1, 2, 2]), np.array([1, 2, 0, 2, 0, 1])
    else:
        x = np.asarray(lon, dtype=np.float64) * np.cos(np.radians(float(np.mean(lat))))
        points = np.column_stack([x, np.asarray(lat, dtype=np.float64)])
        triangulation = Delaunay(points, qhull_options="QJ Qbb")
        indptr, indices = triangulation.vertex_neighbor_vertices
        counts = np.diff(indptr)
        rows, cols = np.repeat(np.arange(n), counts), indices
    data = np.ones(rows.shape[0], dtype=bool)
    matrix = csr_array((data, (rows, cols)), shape=(n, n))
    return csr_array(((matrix + matrix.T) > 0).astype(bool))


def neighbours(adjacency: csr_array, zone: int) -> IntArray:
    """The zones adjacent to `zone`."""
    return np.asarray(adjacency.indices[adjacency.indptr[zone]:adjacency.indptr[zone + 1]],
                      dtype=np.intp)


def components(adjacency: csr_array, members: IntArray) -> list[IntArray]:
    """The connected components of the subgraph on `members`, largest first."""
    inside = set(int(m) for m in members)
    seen: set[int] = set()
    found: list[IntArray] = []
    for start in members:
        start = int(start)
        if start in seen:
            continue
        seen.add(start)
        part = [start]
        queue = deque([start])
        while queue:
            zone = queue.popleft()
            for other in neighbours(adjacency, zone).tolist():
                if other in inside and other not in seen:
                    seen.add(other)
                    part.append(other)
                    queue.append(other)
        found.append(np.asarray(sorted(part), dtype=np.intp))
    found.sort(key=lambda part: -part.size)
    return found


def connected_without(adjacency: csr_array, members: set[int], removed: int) -> bool:
    """Whether `members` less `removed` is still one connected area (empty counts as not)."""
    rest = members - {removed}
    if not rest:
        return False
    starts = [z for z in neighbours(adjacency, removed).tolist() if z in rest]
    if len(starts) <= 1:
        return True  # a leaf (or isolated) zone: removing it cannot split anything
    target = set(starts)
    seen = {starts[0]}
    queue = deque([starts[0]])
    target.discard(starts[0])
    while queue and target:
        zone = queue.popleft()
        for other in neighbours(adjacency, zone).tolist():
            if other in rest and other not in seen:
                seen.add(other)
                target.discard(other)
                queue.append(other)
    return not target
