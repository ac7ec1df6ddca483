"""The p-median solver: local search for a good solution, a Lagrangian bound, an exact close.

1. Greedy construction and fast interchange (`interchange`) give an incumbent.
2. Subgradient optimisation of the Lagrangian bound (`bound`); the relaxation's chosen sets
   seed more local search, and the incumbent is proven optimal when the bound meets it.
3. Otherwise a variable neighbourhood search has half the time left; then the bound rules out
   most sites and assignments (`bound.reduction`) and HiGHS solves what remains (`exact`): it
   finds the optimum or proves the incumbent is one. When time runs out first, the solution
   says its gap (the OR-Library instances with p = 5 or 10 and n ≥ 400 have a gap of about 1%
   between the relaxation and the optimum, which HiGHS closes in 15-40 s).
"""

from __future__ import annotations

import math
import time

import numpy as np

from rollout.domain.design.bound import lagrangian_bound, proof_target, reduction
from rollout.domain.design.exact import MAX_PAIRS, exact_solve
from rollout.domain.design.interchange import Medians, descend, greedy, medians_of, search
from rollout.domain.design.problem import FloatArray, Problem, Solution, SolveOptions


def pmedian_solve(*, problem: Problem, options: SolveOptions | None = None) -> Solution:
    """The best solution found within `options.time_limit` seconds, with a proven lower bound
    when `options.exact` (then `optimal` says whether the bound meets the objective)."""
    options = options or SolveOptions()
    started = time.perf_counter()
    deadline = started + options.time_limit
    problem.validate()
    costs = problem.weighted_costs()
    fixed = tuple(dict.fromkeys(problem.open_sites))
    integral = bool(np.all(costs == np.round(costs)))
    stats: dict[str, float] = {}

    state = descend(costs, greedy(costs, problem.p, fixed=fixed), fixed=fixed, deadline=deadline)
    stats["local_search"] = state.objective
    if not options.exact:
        state = search(costs, state, fixed=fixed, deadline=deadline, seed=options.seed)
        return _solution(costs, state, lower=None, started=started, stats=stats)

    bound = lagrangian_bound(costs, problem.p, upper=state.objective, start=state.d1,
                             integral=integral, fixed=fixed, deadline=deadline)
    stats["lagrangian"] = bound.lower
    stats["lagrangian_iterations"] = bound.iterations
    # The relaxation's chosen sets are good starting points: at the best multipliers (often
    # one or two swaps from the optimum) and the cheapest one seen on the way.
    for sites in (bound.chosen, bound.upper_sites):
        if sites.size and time.perf_counter() < deadline:
            candidate = descend(costs, medians_of(costs, sites), fixed=fixed, deadline=deadline)
            if candidate.objective < state.objective:
                state = candidate
    lower = _rounded(bound.lower, integral)
    if lower < state.objective:
        # The relaxation has a gap: search first (half the time left), since a better incumbent
        # both answers sooner and makes the reduction, hence HiGHS's model, smaller.
        now = time.perf_counter()
        state = search(costs, state, fixed=fixed, deadline=now + 0.5 * (deadline - now),
                       seed=options.seed)
    if lower < state.objective and time.perf_counter() < deadline:
        restricted = reduction(costs, problem.p, bound, fixed=fixed,
                               threshold=proof_target(state.objective, integral=integral),
                               max_pairs=MAX_PAIRS)
        exact = None
        if restricted is not None:
            stats["reduced_sites"] = restricted.sites.size
            stats["reduced_pairs"] = restricted.clients.size
            exact = exact_solve(costs, problem.p, restricted,
                                time_limit=deadline - time.perf_counter())
        if exact is not None:
            if exact.sites is not None and exact.objective < state.objective:
                state = medians_of(costs, exact.sites)
            # Everything the reduction dropped costs at least the incumbent.
            lower = max(lower, _rounded(min(exact.lower, state.objective), integral))
    return _solution(costs, state, lower=min(lower, state.objective), started=started,
                     stats=stats)


def _rounded(lower: float, integral: bool) -> float:
    return float(math.ceil(lower - 1e-6)) if integral and np.isfinite(lower) else lower


def _solution(costs: FloatArray, state: Medians, *, lower: float | None, started: float,
              stats: dict[str, float]) -> Solution:
    objective = state.objective
    return Solution(objective=objective, medians=tuple(int(s) for s in state.sites),
                    assignment=state.sites[state.c1], lower_bound=lower,
                    seconds=time.perf_counter() - started,
                    optimal=lower is not None and lower >= objective - 1e-9 * max(1.0, objective),
                    stats=stats)
