"""The exact part: the p-median model restricted by a Lagrangian reduction, solved by HiGHS.

Variables y_j (open site j) for the sites still possible and x_ij (client i served by j) for the
assignments still possible; Σ_j x_ij = 1, x_ij ≤ y_j, Σ y = p. Only the y are integral: with y
fixed, the best assignment is integral anyway. scipy's `milp` is HiGHS's branch and cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, csr_array, hstack, vstack

from rollout.domain.design.bound import Reduction
from rollout.domain.design.problem import FloatArray, IntArray

# Above this many assignment variables the model is left alone: the reduction was too weak and
# HiGHS would spend the whole budget building it.
MAX_PAIRS = 400_000


@dataclass(frozen=True)
class ExactResult:
    """`sites` of the best solution of the restricted model (None when it has none or none was
    found in time), its `objective`, the model's proven `lower` bound and whether it was closed."""

    sites: IntArray | None
    objective: float
    lower: float
    closed: bool
    pairs: int


def exact_solve(costs: FloatArray, p: int, restricted: Reduction, *,
                time_limit: float) -> ExactResult | None:
    """Solve the restricted model within `time_limit` seconds; None when it is too large.

    A model with no feasible solution is closed with an infinite bound: nothing cheaper than
    the reduction's threshold exists.
    """
    pairs = restricted.clients.size
    infeasible = ExactResult(None, np.inf, np.inf, True, pairs)
    if pairs > MAX_PAIRS:
        return None
    n_clients = costs.shape[0]
    if np.unique(restricted.clients).size < n_clients or restricted.sites.size < p:
        return infeasible
    n_sites = restricted.sites.size
    column_of_site = np.full(costs.shape[1], -1, dtype=np.intp)
    column_of_site[restricted.sites] = np.arange(n_sites)
    pair_site = column_of_site[restricted.sites_of]
    pair_index = np.arange(pairs)
    # Columns: the n_sites y's, then the pairs' x's.
    assign = hstack([csr_array((n_clients, n_sites)),
                     coo_array((np.ones(pairs), (restricted.clients, pair_index)),
                               shape=(n_clients, pairs))])
    link = hstack([coo_array((-np.ones(pairs), (pair_index, pair_site)), shape=(pairs, n_sites)),
                   coo_array((np.ones(pairs), (pair_index, pair_index)), shape=(pairs, pairs))])
    count = hstack([csr_array(np.ones((1, n_sites))), csr_array((1, pairs))])
    matrix = csr_array(vstack([assign, link, count], format="csr"))
    lower_rows = np.concatenate([np.ones(n_clients), np.full(pairs, -np.inf), [p]])
    upper_rows = np.concatenate([np.ones(n_clients), np.zeros(pairs), [p]])
    lower_vars = np.zeros(n_sites + pairs)
    lower_vars[column_of_site[restricted.forced]] = 1.0
    objective = np.concatenate([np.zeros(n_sites),
                                costs[restricted.clients, restricted.sites_of]])
    integrality = np.concatenate([np.ones(n_sites), np.zeros(pairs)])
    result = milp(objective, integrality=integrality,
                  bounds=Bounds(lower_vars, np.ones(n_sites + pairs)),
                  constraints=LinearConstraint(matrix, lower_rows, upper_rows),
                  options={"time_limit": max(0.1, time_limit), "disp": False})
    if result.status == 2:  # infeasible
        return infeasible
    dual = getattr(result, "mip_dual_bound", None)
    lower = float(dual) if dual is not None and np.isfinite(dual) else -np.inf
    if result.x is None:
        return ExactResult(None, np.inf, lower, False, pairs)
    chosen = restricted.sites[np.flatnonzero(result.x[:n_sites] > 0.5)]
    closed = result.status == 0
    return ExactResult(chosen.astype(np.intp), float(result.fun),
                       float(result.fun) if closed else lower, closed, pairs)
