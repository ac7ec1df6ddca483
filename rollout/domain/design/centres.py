"""Step 1 of region design (see `regions`): the region centres and the zones' first regions.

The p-median (`pmedian_solve`) over the free zones and the free regional FCs always runs: it is
optimal, or says its gap, without capacity or moves. When the request has constraints (an FC
with a capacity, or `max_moves`) and the instance is small enough for the constrained model
(`constrained.MAX_CONSTRAINED_PAIRS` zones × FCs), the p-median gets half the time and the
constrained model (`constrained_solve`) the rest; its design replaces the p-median's, FCs placed
by the model included. Both bound the same objective, the demand-weighted km from each zone to
its region's centre, so the better of their lower bounds holds for the constrained design.
Either way every centre ends with at least one zone (`every_centre_served`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from rollout.domain.design.constrained import (
    MAX_CONSTRAINED_PAIRS,
    ConstrainedProblem,
    constrained_solve,
)
from rollout.domain.design.pmedian import pmedian_solve
from rollout.domain.design.problem import FloatArray, IntArray, Problem, SolveOptions


@dataclass(frozen=True)
class Centres:
    """`medians` (indices into the free FCs, ascending), each free zone's region (an index into
    `medians`), each free FC's region when the constrained model placed them (else None), the
    best proven lower bound on the centre objective (None: none), and the solver's figures."""

    medians: IntArray
    zone_region: IntArray
    fc_region: IntArray | None
    lower_bound: float | None
    stats: dict[str, float]


def centres_solve(*, km: FloatArray, weights: FloatArray, p: int, fc_limits: FloatArray,
                  zone_base: IntArray, n_base: int, max_moves: int | None, time_limit: float,
                  seed: int) -> Centres:
    """The centres for free zones × free FCs `km` (module docstring). `fc_limits[j]` is what FC
    j adds to its region's allowed demand (inf: unlimited); `zone_base[i]` the zone's free base
    region (-1: none)."""
    started = time.perf_counter()
    constrained = ((max_moves is not None or bool(np.isfinite(fc_limits).any()))
                   and km.size <= MAX_CONSTRAINED_PAIRS)
    solution = pmedian_solve(
        problem=Problem(costs=km, weights=weights, p=p),
        options=SolveOptions(time_limit=time_limit / 2 if constrained else time_limit,
                             seed=seed, exact=True))
    medians = np.asarray(solution.medians, dtype=np.intp)
    stats = {"pmedian_seconds": solution.seconds, "pmedian_objective": solution.objective,
             "pmedian_gap": solution.gap if solution.gap is not None else -1.0}
    found = Centres(medians, every_centre_served(
        np.searchsorted(medians, solution.assignment).astype(np.intp), km=km, weights=weights,
        medians=medians), None, solution.lower_bound, stats)
    if not constrained:
        return found
    result = constrained_solve(
        ConstrainedProblem(km=km, weights=weights, p=p, limits=fc_limits, base=zone_base,
                           n_base=n_base, max_moves=max_moves),
        time_limit=time_limit - (time.perf_counter() - started))
    if result is None:
        return found
    stats.update(constrained_infeasible=float(result.infeasible),
                 constrained_optimal=float(result.optimal))
    if np.isfinite(result.objective):
        stats["constrained_objective"] = result.objective
    lower = max(found.lower_bound if found.lower_bound is not None else -np.inf, result.lower)
    lower_bound = float(lower) if np.isfinite(lower) else found.lower_bound
    if result.centres is None or result.zone_region is None or result.fc_region is None:
        return Centres(medians, found.zone_region, None, lower_bound, stats)
    return Centres(result.centres, every_centre_served(
        result.zone_region, km=km, weights=weights, medians=result.centres), result.fc_region,
        lower_bound, stats)


def every_centre_served(zone_region: IntArray, *, km: FloatArray, weights: FloatArray,
                        medians: IntArray) -> IntArray:
    """`zone_region` with every centre given at least one zone (one with demand when there is
    one). Optimal p-medians may leave a centre no zone is nearest to when costs tie, as path
    costs do for zones behind the same station; such a centre takes the zone that costs least
    to move to it from a region that keeps another zone. At most one pass over the zones per
    empty region."""
    labels = zone_region.copy()
    rows = np.arange(labels.size)
    for region in np.flatnonzero(np.bincount(labels, minlength=medians.size) == 0).tolist():
        movable = np.bincount(labels, minlength=medians.size)[labels] > 1
        with_demand = movable & (weights > 0)
        if with_demand.any():
            movable = with_demand
        if not movable.any():
            break
        regret = km[:, medians[region]] - km[rows, medians[labels]]
        labels[int(np.argmin(np.where(movable, regret, np.inf)))] = region
    return labels
