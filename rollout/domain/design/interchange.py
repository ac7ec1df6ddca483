"""Greedy construction and fast interchange for the p-median problem (numpy-vectorised).

The interchange evaluates every (insert, remove) pair at once, in the manner of Whitaker's fast
interchange as vectorised by Resende & Werneck: with each client's nearest and second-nearest
open site, inserting site f gains max(0, d1 - c[f]) over all clients, and removing median m
costs, over m's own clients, min(c[f], d2) - min(c[f], d1). Best improvement, then a variable
neighbourhood search (k random swaps, descend, keep if better) while time is left.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rollout.domain.design.problem import FloatArray, IntArray

# Elements of a clients × sites block processed at once: bounds the temporaries to ~64 MB each
# whatever the problem's size (a national problem has 40,000 clients).
_BLOCK_ELEMENTS = 8_000_000


@dataclass
class Medians:
    """A set of open sites with each client's nearest (d1, at c1) and second-nearest (d2) cost."""

    sites: IntArray
    d1: FloatArray
    c1: IntArray  # position in `sites` of each client's nearest median
    d2: FloatArray

    @property
    def objective(self) -> float:
        return float(self.d1.sum())


def medians_of(costs: FloatArray, sites: IntArray) -> Medians:
    """Nearest and second-nearest open site of every client for the open `sites`."""
    sites = np.sort(np.asarray(sites, dtype=np.intp))
    sub = costs[:, sites]
    c1 = np.argmin(sub, axis=1)
    rows = np.arange(sub.shape[0])
    d1 = sub[rows, c1]
    if sites.size == 1:
        d2 = np.full(sub.shape[0], np.inf)
    else:
        sub = sub.copy()
        sub[rows, c1] = np.inf
        d2 = sub.min(axis=1)
    return Medians(sites=sites, d1=d1, c1=c1.astype(np.intp), d2=d2)


def _site_blocks(costs: FloatArray) -> Iterator[slice]:
    width = max(1, _BLOCK_ELEMENTS // max(1, costs.shape[0]))
    for start in range(0, costs.shape[1], width):
        yield slice(start, min(costs.shape[1], start + width))


def greedy(costs: FloatArray, p: int, *, fixed: tuple[int, ...] = ()) -> Medians:
    """Open the `fixed` sites, then add the site that lowers the total cost most, until p."""
    chosen = list(dict.fromkeys(fixed))
    d1 = costs[:, chosen].min(axis=1) if chosen else np.full(costs.shape[0], np.inf)
    while len(chosen) < p:
        totals = np.empty(costs.shape[1])
        for block in _site_blocks(costs):
            totals[block] = np.minimum(costs[:, block], d1[:, None]).sum(axis=0)
        totals[chosen] = np.inf
        best = int(np.argmin(totals))
        chosen.append(best)
        d1 = np.minimum(d1, costs[:, best])
    return medians_of(costs, np.asarray(chosen, dtype=np.intp))


def best_swap(costs: FloatArray, state: Medians, *,
              fixed: tuple[int, ...] = ()) -> tuple[float, int, int]:
    """(change in total cost, site to insert, median position to remove) of the best swap."""
    p = state.sites.size
    # Clients grouped by their nearest median, so that a median's loss is one segment's sum.
    order = np.argsort(state.c1, kind="stable")
    counts = np.bincount(state.c1, minlength=p)
    served = np.flatnonzero(counts)  # a median that is nobody's nearest loses nothing
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[served]
    d1, d2 = state.d1[order], state.d2[order]
    best = (np.inf, -1, -1)
    is_open = np.zeros(costs.shape[1], dtype=bool)
    is_open[state.sites] = True
    removable = ~np.isin(state.sites, np.asarray(fixed, dtype=np.intp))
    for block in _site_blocks(costs):
        sub = costs[order, block]
        gain = np.maximum(d1[:, None] - sub, 0.0).sum(axis=0)
        extra = np.minimum(sub, d2[:, None]) - np.minimum(sub, d1[:, None])
        loss = np.zeros((p, sub.shape[1]))
        loss[served] = np.add.reduceat(extra, starts, axis=0)
        delta = loss - gain[None, :]  # medians × sites of the block
        delta[:, is_open[block]] = np.inf
        delta[~removable, :] = np.inf
        position, column = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if delta[position, column] < best[0]:
            best = (float(delta[position, column]), block.start + int(column), int(position))
    return best


def descend(costs: FloatArray, state: Medians, *, fixed: tuple[int, ...] = (),
            deadline: float = np.inf) -> Medians:
    """Apply the best improving swap until none improves (or the deadline passes)."""
    tolerance = 1e-9 * max(1.0, state.objective)
    while time.perf_counter() < deadline:
        delta, insert, position = best_swap(costs, state, fixed=fixed)
        if not delta < -tolerance:
            break
        sites = state.sites.copy()
        sites[position] = insert
        state = medians_of(costs, sites)
    return state


def search(costs: FloatArray, start: Medians, *, fixed: tuple[int, ...] = (),
           deadline: float, seed: int = 0, max_rounds: int = 200,
           k_max: int = 3) -> Medians:
    """Variable neighbourhood search from `start` (descended first): shake k random swaps,
    descend, keep the result when better; at most `max_rounds` shakes or until the deadline."""
    rng = np.random.default_rng(seed)
    best = descend(costs, start, fixed=fixed, deadline=deadline)
    n_sites = costs.shape[1]
    movable = np.flatnonzero(~np.isin(best.sites, np.asarray(fixed, dtype=np.intp)))
    if movable.size == 0 or best.sites.size >= n_sites:
        return best
    k = 1
    for _ in range(max_rounds):
        if time.perf_counter() >= deadline:
            break
        sites = best.sites.copy()
        closed = np.setdiff1d(np.arange(n_sites), sites)
        swaps = min(k, movable.size, closed.size)
        outgoing = rng.choice(movable, size=swaps, replace=False)
        sites[outgoing] = rng.choice(closed, size=swaps, replace=False)
        candidate = descend(costs, medians_of(costs, sites), fixed=fixed, deadline=deadline)
        if candidate.objective < best.objective - 1e-9 * max(1.0, best.objective):
            best, k = candidate, 1
            movable = np.flatnonzero(~np.isin(best.sites, np.asarray(fixed, dtype=np.intp)))
        else:
            k = k + 1 if k < k_max else 1
    return best
