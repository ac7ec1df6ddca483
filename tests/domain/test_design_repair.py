"""Repairs of a zone partition: contiguity, capacity, balance and moves, each keeping the
guarantees of the ones before it."""

from __future__ import annotations

import numpy as np

from rollout.domain.design.adjacency import components, zone_adjacency
from rollout.domain.design.repair import (
    Partition,
    balance_ratio,
    improve_cost,
    limit_moves,
    repair_balance,
    repair_capacity,
    repair_contiguity,
)


def _row(labels: list[int], *, limits: list[float] | None = None,
         locked: list[bool] | None = None, contiguous: bool = True,
         weights: list[float] | None = None) -> Partition:
    """Zones on a 2 x n strip (column c: zones c and n + c share a label), two regions whose
    centres sit at the strip's two ends. The rows bow outwards a little, so that every zone is
    on the hull and the triangulation only joins neighbouring columns."""
    n = len(labels)
    bow = 0.02 * (np.arange(n) - (n - 1) / 2) ** 2
    bow = bow.max() - bow  # largest in the middle: the bottom row sags, the top one bulges
    lat = np.concatenate([-bow, 1 + bow])
    lon = np.concatenate([np.arange(n), np.arange(n)]).astype(float)
    regions = max(labels) + 1
    centres = np.linspace(0, n - 1, regions)
    costs = np.abs(lon[:, None] - centres[None, :])
    return Partition(labels=np.array(labels + labels), costs=costs,
                     weights=np.array((weights or [1.0] * n) * 2),
                     limits=np.array(limits or [np.inf] * regions),
                     locked=np.array(locked or [False] * regions),
                     adjacency=zone_adjacency(lat, lon), contiguous=contiguous)


def _connected(part: Partition) -> bool:
    return all(len(components(part.adjacency, np.array(sorted(m)))) == 1
               for m in part.members if m)


def test_repair_contiguity__detached_fragment__joins_the_region_around_it() -> None:
    # Given region 0 (columns 0-2) with a fragment (column 4) inside region 1
    part = _row([0, 0, 0, 1, 0, 1, 1, 1])

    # When
    repair_contiguity(part)

    # Then: every region is one area; the fragment went to region 1
    assert _connected(part)
    assert part.labels[:8].tolist() == [0, 0, 0, 1, 1, 1, 1, 1]


def test_repair_capacity__region_over_its_limit__sheds_border_zones_keeping_contiguity() -> None:
    # Given region 0 holding 12 zones with a limit of 8
    part = _row([0] * 6 + [1] * 2, limits=[8, 100])

    # When
    repair_capacity(part)

    # Then: within the limit, still contiguous, the zones nearest region 1 moved
    assert part.demand[0] <= 8
    assert _connected(part)
    assert part.over_capacity().size == 0


def test_repair_capacity__no_room_anywhere__stays_over_and_says_so() -> None:
    # Given both regions full
    part = _row([0] * 6 + [1] * 2, limits=[8, 4])

    # When
    repair_capacity(part)

    # Then: region 1 took nothing over its limit, region 0 is still over (reported by callers)
    assert part.demand[1] <= 4
    assert part.over_capacity().tolist() == [0]


def test_repair_balance__lopsided__ratio_lowered_to_the_bound() -> None:
    # Given 14 zones against 2
    part = _row([0] * 7 + [1])
    assert balance_ratio(part.demand) == 7

    # When
    repair_balance(part, 1.5)

    # Then
    assert balance_ratio(part.demand) <= 1.5
    assert _connected(part)


def test_repair__locked_region__never_gains_or_loses() -> None:
    # Given a locked region 1 and an over-full region 0
    part = _row([0] * 6 + [1] * 2, limits=[4, 100], locked=[False, True])

    # When
    repair_capacity(part)
    repair_balance(part, 1.0)

    # Then
    assert part.labels.tolist() == ([0] * 6 + [1] * 2) * 2


def test_limit_moves__moved_zones__sent_home_until_within_the_bound() -> None:
    # Given four zones (two columns) away from home
    part = _row([0, 0, 0, 0, 0, 0, 1, 1])
    home = np.array(([0] * 4 + [1] * 4) * 2)

    # When at most one zone may stay away
    limit_moves(part, home, 1)

    # Then
    assert int(np.count_nonzero(part.labels != home)) <= 1
    assert _connected(part)


def test_balance_ratio__empty_region__infinite() -> None:
    assert balance_ratio(np.array([3.0, 0.0])) == float("inf")


def test_improve_cost__zones_served_cheaper_elsewhere__move_there_keeping_contiguity() -> None:
    # Given region 0 reaching past the middle of the strip (columns 0-5 of 8), whose last
    # columns region 1's centre serves for less
    part = _row([0] * 6 + [1] * 2)
    before = float(part.weights @ part.costs[np.arange(16), part.labels])

    # When
    improve_cost(part)

    # Then the border columns moved over, each region one area, and the km went down
    assert part.labels[:8].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert _connected(part)
    assert float(part.weights @ part.costs[np.arange(16), part.labels]) < before


def test_improve_cost__target_at_its_limit_or_locked__nothing_moves() -> None:
    # Given the same strip, region 1 full (a limit of its 4 zones) and, then, locked
    full = _row([0] * 6 + [1] * 2, limits=[100, 4])
    locked = _row([0] * 6 + [1] * 2, locked=[False, True])

    # When
    improve_cost(full)
    improve_cost(locked)

    # Then no zone moved: capacity and kept regions come first
    assert full.labels[:8].tolist() == locked.labels[:8].tolist() == [0] * 6 + [1] * 2
