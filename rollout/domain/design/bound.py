"""A Lagrangian lower bound for the p-median problem (subgradient optimisation).

Relaxing "every client is assigned once" with multipliers λ leaves, for each site j, the value
ρ_j = Σ_i min(0, c_ij - λ_i) of opening it; the bound is Σ λ + the p smallest ρ (fixed sites
always among them). Its best value equals the linear relaxation's, which is tight or nearly so
on most p-median instances; `reduction` then uses it to rule out sites and assignments that
cannot be part of a solution better than a known one (the exact part's model is that small).
"""

from __future__ import annotations

import time
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


class _Neighbours:
    """Each client's sites by increasing cost, so that an evaluation reads only the first K
    columns: the sites cheaper than λ_i (K doubles whenever some λ_i passes column K)."""

    def __init__(self, costs: FloatArray) -> None:
        self.order = np.argsort(costs, axis=1, kind="stable").astype(np.intp)
        self.sorted = np.take_along_axis(costs, self.order, axis=1)
        self.width = min(costs.shape[1], 16)

    def evaluate(self, multipliers: FloatArray, p: int,
                 fixed: IntArray) -> tuple[float, FloatArray, IntArray, FloatArray]:
        """(bound, ρ, chosen sites, subgradient) at `multipliers`."""
        n_sites = self.sorted.shape[1]
        while True:
            reduced = self.sorted[:, :self.width] - multipliers[:, None]
            below = reduced < 0.0
            if self.width == n_sites or not below[:, -1].any():
                break
            self.width = min(n_sites, self.width * 2)
        sites = self.order[:, :self.width]
        rho = np.bincount(sites[below], weights=reduced[below],
                          minlength=n_sites).astype(np.float64)  # int when nothing is below
        ranking = rho.copy()
        ranking[fixed] = -np.inf
        chosen = np.argpartition(ranking, p - 1)[:p] if p < n_sites else np.arange(n_sites)
        lower = float(multipliers.sum() + rho[chosen].sum())
        is_chosen = np.zeros(n_sites, dtype=bool)
        is_chosen[chosen] = True
        subgradient = 1.0 - (below & is_chosen[sites]).sum(axis=1)
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
              fixed: tuple[int, ...] = ()) -> Reduction:
    """Sites and assignments whose Lagrangian bound stays below `threshold`.

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
    extra = np.maximum(costs - bound.multipliers[:, None], 0.0)
    allowed = (extra < slack[None, :]) & may_open[None, :]
    clients, sites_of = np.nonzero(allowed)
    return Reduction(sites=np.flatnonzero(may_open), forced=np.flatnonzero(forced),
                     clients=clients.astype(np.intp), sites_of=sites_of.astype(np.intp))
