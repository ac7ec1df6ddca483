"""The Lagrangian bound's site values from partial sorts or block sums (the same numbers as the
formula, whatever the blocks), and the reduction read block by block."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rollout.domain.design import bound
from rollout.domain.design.bound import _Neighbours, lagrangian_bound, reduction
from rollout.domain.design.interchange import greedy


def _costs(seed: int, clients: int = 300, sites: int = 40) -> np.ndarray:
    """Integer costs, so that ties (and ties at the partial sort's cut) are common."""
    return np.random.default_rng(seed).integers(0, 50, (clients, sites)).astype(np.float64)


def _rho(costs: np.ndarray, multipliers: np.ndarray) -> np.ndarray:
    return np.minimum(costs - multipliers[:, None], 0.0).sum(axis=0)


@pytest.mark.parametrize("seed", range(4))
def test_neighbours__multipliers_rising__rho_equals_the_formula_in_every_mode(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given blocks of a few clients and a cap of 24 sorted columns a client, so that rising
    # multipliers widen the sorted columns, then switch to block sums
    monkeypatch.setattr(bound, "_BLOCK_ELEMENTS", 7 * 120)
    monkeypatch.setattr(bound, "_CACHE_ELEMENTS", 5 * 120)
    monkeypatch.setattr(bound, "_SORTED_ELEMENTS", 300 * 24)
    costs = _costs(seed, sites=120)
    neighbours = _Neighbours(costs)
    modes = set()

    for level in np.linspace(0.0, 60.0, 121).tolist():
        multipliers = np.random.default_rng(seed).uniform(0, level, costs.shape[0])

        # When
        lower, rho, chosen, subgradient = neighbours.evaluate(multipliers, 5, np.array([1]))
        modes.add("direct" if neighbours.direct else f"sorted {neighbours.width}")

        # Then
        expected = _rho(costs, multipliers)
        assert rho == pytest.approx(expected, abs=1e-9)
        assert 1 in chosen.tolist() and chosen.size == 5
        assert lower == pytest.approx(multipliers.sum() + expected[chosen].sum())
        below = (costs[:, chosen] < multipliers[:, None]).sum(axis=1)
        assert (subgradient == 1 - below).all()
    assert modes == {"sorted 16", "sorted 24", "direct"}  # the test went through every mode


@pytest.mark.parametrize("seed", range(4))
def test_lagrangian_bound__small_instances__never_above_the_optimum(seed: int) -> None:
    # Given a small instance and its brute-force optimum
    costs = _costs(seed, clients=40, sites=9)
    optimum = min(costs[:, list(c)].min(axis=1).sum()
                  for c in itertools.combinations(range(9), 3))
    start = greedy(costs, 3)

    # When
    found = lagrangian_bound(costs, 3, upper=start.objective, start=start.d1, integral=True)

    # Then
    assert found.lower <= optimum + 1e-9
    assert found.upper >= optimum - 1e-9


def test_reduction__blocks_of_clients__same_pairs_as_one_block_and_capped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a bound on a random instance
    costs = _costs(5, clients=200, sites=30)
    start = greedy(costs, 4)
    found = lagrangian_bound(costs, 4, upper=start.objective, start=start.d1, integral=True,
                             max_iterations=50)
    threshold = start.objective + 200.0
    whole = reduction(costs, 4, found, threshold=threshold)
    assert whole is not None and whole.clients.size > 0

    # When the clients are read 3 at a time
    monkeypatch.setattr(bound, "_BLOCK_ELEMENTS", 3 * 30)
    blocks = reduction(costs, 4, found, threshold=threshold)
    capped = reduction(costs, 4, found, threshold=threshold, max_pairs=whole.clients.size - 1)

    # Then: the same sites and pairs; over the cap, none
    assert blocks is not None
    assert (blocks.sites == whole.sites).all() and (blocks.forced == whole.forced).all()
    assert (blocks.clients == whole.clients).all() and (blocks.sites_of == whole.sites_of).all()
    assert capped is None
