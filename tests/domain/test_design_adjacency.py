"""Zone adjacency: Delaunay neighbours, components, and connectivity after removing a zone."""

from __future__ import annotations

import numpy as np

from rollout.domain.design.adjacency import (
    components,
    connected_without,
    neighbours,
    zone_adjacency,
)


def _grid(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = np.meshgrid(np.arange(rows, dtype=float), np.arange(cols, dtype=float),
                           indexing="ij")
    # a tiny jitter so that no four points are co-circular (one triangulation only)
    jitter = np.random.default_rng(0).uniform(-0.01, 0.01, lat.size)
    return lat.ravel() + jitter, lon.ravel()


def test_zone_adjacency__grid__symmetric_and_joins_grid_neighbours() -> None:
    # Given a 4 x 5 grid of zone centroids
    lat, lon = _grid(4, 5)

    # When
    adjacency = zone_adjacency(lat, lon)

    # Then: symmetric, no self-loops, and every grid neighbour is a Delaunay neighbour
    dense = adjacency.toarray()
    assert (dense == dense.T).all()
    assert not dense.diagonal().any()
    for r in range(4):
        for c in range(4):
            assert dense[r * 5 + c, r * 5 + c + 1]
    assert min(dense.sum(axis=1)) >= 2 and max(dense.sum(axis=1)) <= 8


def test_zone_adjacency__coincident_and_few_points__still_connected() -> None:
    # Given duplicate centroids, and the two- and three-zone cases
    for lat, lon in ((np.array([1.0, 1.0, 2.0, 2.0, 1.0]), np.array([1.0, 1.0, 1.0, 2.0, 2.0])),
                     (np.array([0.0, 1.0]), np.array([0.0, 1.0])),
                     (np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))):
        # When
        adjacency = zone_adjacency(lat, lon)

        # Then: one connected area
        assert len(components(adjacency, np.arange(lat.size))) == 1


def test_components__two_separate_blocks__largest_first() -> None:
    # Given a 3 x 7 grid and members that leave out columns 2 and 3
    lat, lon = _grid(3, 7)
    adjacency = zone_adjacency(lat, lon)
    members = np.array([z for z in range(21) if z % 7 not in (2, 3)])

    # When
    parts = components(adjacency, members)

    # Then: columns 4-6 and 0-1 (the larger first)
    assert [sorted(p.tolist()) for p in parts] == [
        [z for z in members.tolist() if z % 7 > 3], [z for z in members.tolist() if z % 7 < 2]]


def test_connected_without__cut_zone_and_leaf__false_then_true() -> None:
    # Given the first row of a 3 x 6 grid: a path of zones 0-1-2
    adjacency = zone_adjacency(*_grid(3, 6))

    # When / Then: removing the middle splits it, removing an end does not
    assert {0, 2} <= set(neighbours(adjacency, 1).tolist())
    assert not connected_without(adjacency, {0, 1, 2}, 1)
    assert connected_without(adjacency, {0, 1, 2}, 0)
    assert not connected_without(adjacency, {0}, 0)
