"""The p-median solver's interface: a problem over clients and candidate sites, and its answer.

Costs are a clients × sites matrix (never a dense zones × zones one: the product's sites are its
fulfilment centres); a client's cost to a site is multiplied by the client's weight (its demand).
Constraints of region design (capacity, contiguity, balance, stability) are to be added as
further fields of `Problem`; a solver that does not honour a field must refuse the problem
(see `Problem.validate`) rather than ignore it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


class ProblemError(ValueError):
    """A problem the solver cannot take (shapes, negative or missing costs, p out of range)."""


@dataclass(frozen=True)
class Problem:
    """Open exactly `p` sites and assign every client to an open site, at least total cost.

    `costs[i, j]` is client i's cost per unit of weight when served by site j (finite, ≥ 0);
    `weights[i]` is client i's weight (≥ 0; default 1). `open_sites` must be among the chosen.
    """

    costs: FloatArray
    p: int
    weights: FloatArray | None = None
    open_sites: tuple[int, ...] = ()

    @property
    def clients(self) -> int:
        return int(self.costs.shape[0])

    @property
    def sites(self) -> int:
        return int(self.costs.shape[1])

    def weighted_costs(self) -> FloatArray:
        """The clients × sites matrix of weight × cost that the solver minimises over."""
        costs = np.asarray(self.costs, dtype=np.float64)
        if self.weights is None:
            return costs
        return costs * np.asarray(self.weights, dtype=np.float64)[:, None]

    def validate(self) -> None:
        """Raise `ProblemError` unless the problem is well formed."""
        costs = np.asarray(self.costs)
        if costs.ndim != 2 or costs.shape[0] == 0 or costs.shape[1] == 0:
            raise ProblemError(f"costs must be a non-empty clients × sites matrix, got shape "
                               f"{costs.shape}")
        if not np.all(np.isfinite(costs)) or np.any(costs < 0):
            raise ProblemError("costs must be finite and non-negative")
        if self.weights is not None:
            weights = np.asarray(self.weights)
            if weights.shape != (costs.shape[0],):
                raise ProblemError(f"weights must have one entry per client ({costs.shape[0]}), "
                                   f"got shape {weights.shape}")
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise ProblemError("weights must be finite and non-negative")
        if not 1 <= self.p <= costs.shape[1]:
            raise ProblemError(f"p must be between 1 and the number of sites ({costs.shape[1]}), "
                               f"got {self.p}")
        if len(set(self.open_sites)) > self.p:
            raise ProblemError(f"{len(set(self.open_sites))} sites must be open but p is {self.p}")
        if any(not 0 <= j < costs.shape[1] for j in self.open_sites):
            raise ProblemError("open_sites must be site indices")


@dataclass(frozen=True)
class SolveOptions:
    """How hard to try: a time budget (seconds, soft), a seed, whether to prove optimality."""

    time_limit: float = 60.0
    seed: int = 0
    exact: bool = True


@dataclass(frozen=True)
class Solution:
    """The solver's answer.

    `medians` are the open sites (0-based, ascending); `assignment[i]` is client i's site;
    `objective` is the total weighted cost; `lower_bound` is a proven bound on the optimum when
    one was computed (equal to `objective`, up to rounding, when `optimal`); `seconds` is wall time.
    """

    objective: float
    medians: tuple[int, ...]
    assignment: IntArray
    lower_bound: float | None
    seconds: float
    optimal: bool = False
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """(objective - lower bound) / objective, or None when no bound is known."""
        if self.lower_bound is None:
            return None
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)
