"""A Lagrangian lower bound for the p-median problem (subgradient optimisation).

Relaxing "every client is assigned once" with multipliers λ leaves, for each site j, the value
ρ_j = Σ_i min(0, c_ij - λ_i) of opening it; the bound is Σ λ + the p smallest ρ (fixed sites
always among them). Its best value equals the linear relaxation's, which is tight or nearly so
on most p-median instances; `reduction` then uses it to rule out sites and assignments that
cannot be part of a solution better than a known one (the exact part's model is that small).

Memory: never a sorted copy of the whole clients × sites matrix. Each client keeps its cheapest
sites from a partial sort (at most `_SORTED_ELEMENTS` in all, ~128 MB), or ρ is summed over the
matrix in cache-sized blocks; the reduction reads `_BLOCK_ELEMENTS` at a time and gives up past
`max_pairs`. At 40,000 zones × 130 FCs the bound adds about 50 MB to the matrix itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rollout.domain.design.problem import FloatArray, IntArray


def proof_target(objective: float, *, integral: bool) -> float:
    """A lower bound at or above this proves `objective` optimal (integral costs: within 1)."""
    if integral:
        return objective - 1.0 + 1e-6
    return objective - 1e-9 * max(1.0, abs(objective))


@dataclass
class LagrangianBound:
    """The best bound found, with the multipliers, site values ρ and chosen sites at it, and
    the cheapest of the relaxation's chosen sets as a solution (`upper`, at `upper_sites`)."""

    lower: float
    multipliers: FloatArray
    rho: FloatArray
    chosen: IntArray
    upper: float
    upper_sites: IntArray
    iterations: int = 0


#: Elements of a clients × sites block read at once (partial sorts, the reduction): bounds the
#: temporaries to ~8 MB each whatever the problem's size (a national one has 40,000 clients).
_BLOCK_ELEMENTS = 1_000_000
#: At most this many sorted (site, cost) columns are kept in all (~128 MB).
_SORTED_ELEMENTS = 8_000_000
#: Elements of a block summed in place (about 512 kB, so it stays in cache).
_CACHE_ELEMENTS = 65_536


def _client_blocks(costs: FloatArray) -> Iterator[slice]:
    rows = max(1, _BLOCK_ELEMENTS // max(1, costs.shape[1]))
    for start in range(0, costs.shape[0], rows):
        yield slice(start, min(costs.shape[0], start + rows))


class _Neighbours:
    """Site values ρ at given multipliers, read from each client's cheapest sites only.

    Each client's `width` cheapest sites are kept by increasing cost, so that an evaluation
    reads only those cheaper than λ_i: a partial sort (np.argpartition) block by block of
    clients, so memory is clients × width, never the whole matrix sorted. `width` starts at 16
    and doubles, re-reading `costs`, whenever some λ_i passes the last column; past `cap`
    columns (a quarter of the sites, and at most `_SORTED_ELEMENTS` entries in all) the sorted
    columns would cost as much as the matrix, so ρ is then summed over `costs` block by block.
    """

    def __init__(self, costs: FloatArray) -> None:
        self.costs = costs
        n_clients, n_sites = costs.shape
        self.cap = max(min(n_sites, 16), min(n_sites // 4, _SORTED_ELEMENTS // max(1, n_clients)))
        self.direct = False
        self._take(min(n_sites, 16))

    def _take(self, width: int) -> None:
        costs = self.costs
        self.width = width
        self.order = np.empty((costs.shape[0], width), dtype=np.intp)
        self.sorted = np.empty((costs.shape[0], width), dtype=np.float64)
        for rows in _client_blocks(costs):
            block = costs[rows]
            if width < costs.shape[1]:
                part = np.argpartition(block, width - 1, axis=1)[:, :width]
            else:
                part = np.broadcast_to(np.arange(width), block.shape)
            values = np.take_along_axis(block, part, axis=1)
            rank = np.argsort(values, axis=1, kind="stable")
            self.order[rows] = np.take_along_axis(part, rank, axis=1)
            self.sorted[rows] = np.take_along_axis(values, rank, axis=1)

    def _rho(self, multipliers: FloatArray) -> FloatArray:
        """ρ_j = Σ_i min(0, c_ij - λ_i)."""
        n_sites = self.costs.shape[1]
        while not self.direct:
            reduced = self.sorted - multipliers[:, None]
            below = reduced < 0.0
            # The columns past `width` cost at least the last one: none is below λ unless it is.
            if self.width == n_sites or not below[:, -1].any():
                return np.bincount(self.order[below], weights=reduced[below],
                                   minlength=n_sites).astype(np.float64)  # int when none below
            if self.width >= self.cap:
                self.direct = True
                del self.order, self.sorted
                break
            self._take(min(n_sites, self.cap, self.width * 2))
        # Small blocks with one reused buffer: the passes stay in cache (~4x faster than whole
        # matrix temporaries at 40,000 × 130).
        rho = np.zeros(n_sites)
        rows = max(1, _CACHE_ELEMENTS // n_sites)
        buffer = np.empty((rows, n_sites))
        for start in range(0, self.costs.shape[0], rows):
            stop = min(self.costs.shape[0], start + rows)
            out = buffer[:stop - start]
            np.subtract(self.costs[start:stop], multipliers[start:stop, None], out=out)
            np.minimum(out, 0.0, out=out)
            rho += out.sum(axis=0)
        return rho

    def evaluate(self, multipliers: FloatArray, p: int,
                 fixed: IntArray) -> tuple[float, FloatArray, IntArray, FloatArray]:
        """(bound, ρ, chosen sites, subgradient) at `multipliers`."""
        n_sites = self.costs.shape[1]
        rho = self._rho(multipliers)
        ranking = rho.copy()
        ranking[fixed] = -np.inf
        chosen = np.argpartition(ranking, p - 1)[:p] if p < n_sites else np.arange(n_sites)
        lower = float(multipliers.sum() + rho[chosen].sum())
        # Clients × p only: how many chosen sites each client is cheaper at than λ_i.
        subgradient = 1.0 - (self.costs[:, chosen] < multipliers[:, None]).sum(axis=1)
        return lower, rho, chosen, subgradient


def lagrangian_bound(costs: FloatArray, p: int, *, upper: float, start: FloatArray,
                     integral: bool, fixed: tuple[int, ...] = (), deadline: float = np.inf,
                     max_iterations: int = 3000) -> LagrangianBound:
    """Maximise the Lagrangian bound from multipliers `start` with Polyak steps towards the
    incumbent `upper`, which the relaxation's chosen sets may lower on the way.

    Stops when the bound proves the incumbent optimal, the step size has shrunk to nothing,
    after `max_iterations`, or at the deadline. The bound is valid at every step.
    """
    fixed_sites = np.asarray(fixed, dtype=np.intp)
    multipliers = np.asarray(start, dtype=np.float64).copy()
    neighbours = _Neighbours(costs)
    lower, rho, chosen, subgradient = neighbours.evaluate(multipliers, p, fixed_sites)
    best = LagrangianBound(lower, multipliers.copy(), rho, chosen, upper,
                           np.empty(0, dtype=np.intp))
    factor, stalled = 2.0, 0
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported after the loop)
        objective = float(costs[:, chosen].min(axis=1).sum())
        if objective < best.upper:
            best.upper, best.upper_sites = objective, np.sort(chosen)
        if (best.lower >= proof_target(best.upper, integral=integral) or factor < 1e-4
                or time.perf_counter() >= deadline):
            break
        norm = float(subgradient @ subgradient)
        if norm == 0.0:  # the relaxed solution is feasible, hence optimal for the relaxation
            break
        # Aim a little above the incumbent so that the steps do not vanish when it is optimal.
        aim = max(best.upper, lower) * 1.001 + 1e-9
        multipliers += factor * (aim - lower) / norm * subgradient
        lower, rho, chosen, subgradient = neighbours.evaluate(multipliers, p, fixed_sites)
        if lower > best.lower + 1e-9 * max(1.0, abs(best.lower)):
            best.lower, best.multipliers, best.rho, best.chosen = (
                lower, multipliers.copy(), rho, chosen)
            stalled = 0
        else:
            stalled += 1
            if stalled >= 20:
                factor, stalled = factor / 2.0, 0
    best.iterations = iteration
    return best


@dataclass
class Reduction:
    """What can still be in a solution cheaper than the bound's `threshold`."""

    sites: IntArray  # sites that may open
    forced: IntArray  # sites that must open
    clients: IntArray  # (client, site) pairs that may be assigned: clients[k] -> sites_of[k]
    sites_of: IntArray


def reduction(costs: FloatArray, p: int, bound: LagrangianBound, *, threshold: float,
              fixed: tuple[int, ...] = (), max_pairs: int | None = None) -> Reduction | None:
    """Sites and assignments whose Lagrangian bound stays below `threshold`; None when more
    than `max_pairs` assignments remain (read block by block of clients, so that a reduction
    too weak to use is given up before it fills memory).

    Opening a site j outside the chosen set costs at least ρ_j - ρ_(p) over the bound; closing
    a chosen one at least ρ_(p+1) - ρ_j; assigning client i to site j at least c_ij - λ_i more.
    Anything that would push the bound to `threshold` or above is ruled out.
    """
    rho = bound.rho
    chosen = np.zeros(rho.size, dtype=bool)
    chosen[bound.chosen] = True
    fixed_mask = np.zeros(rho.size, dtype=bool)
    fixed_mask[list(fixed)] = True
    in_values = rho[chosen & ~fixed_mask]
    out_values = rho[~chosen]
    worst_in = float(in_values.max()) if in_values.size else -np.inf
    best_out = float(out_values.min()) if out_values.size else np.inf
    open_penalty = np.where(chosen, 0.0, np.maximum(rho - worst_in, 0.0))
    may_open = chosen | (bound.lower + open_penalty < threshold)
    close_penalty = np.where(chosen & ~fixed_mask, best_out - rho, 0.0)
    forced = fixed_mask | (chosen & (bound.lower + close_penalty >= threshold))
    slack = threshold - bound.lower - open_penalty  # per site: what assignments may still add
    clients, sites_of, count = [], [], 0
    for rows in _client_blocks(costs):
        extra = np.maximum(costs[rows] - bound.multipliers[rows, None], 0.0)
        block_clients, block_sites = np.nonzero((extra < slack[None, :]) & may_open[None, :])
        count += block_clients.size
        if max_pairs is not None and count > max_pairs:
            return None
        clients.append(block_clients + rows.start)
        sites_of.append(block_sites)
    return Reduction(sites=np.flatnonzero(may_open), forced=np.flatnonzero(forced),
                     clients=np.concatenate(clients).astype(np.intp),
                     sites_of=np.concatenate(sites_of).astype(np.intp))
