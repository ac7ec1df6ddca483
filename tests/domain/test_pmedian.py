"""The p-median solver: brute force agrees on small instances; OR-Library optima are reached."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from rollout.domain.design.orlib import orlib_read
from rollout.domain.design.pmedian import pmedian_solve
from rollout.domain.design.problem import Problem, ProblemError, SolveOptions

ORLIB = Path(__file__).resolve().parents[1] / "data" / "orlib"
OPTIMA = {line.split()[0]: int(line.split()[1])
          for line in (ORLIB / "pmedopt.txt").read_text().splitlines()[1:] if line.strip()}


def _brute_force(problem: Problem) -> float:
    costs = problem.weighted_costs()
    return min(costs[:, list(sites)].min(axis=1).sum()
               for sites in itertools.combinations(range(problem.sites), problem.p)
               if set(problem.open_sites) <= set(sites))


def _random_problem(seed: int, *, integral: bool) -> Problem:
    rng = np.random.default_rng(seed)
    clients, sites = int(rng.integers(5, 30)), int(rng.integers(3, 11))
    points, centres = rng.random((clients, 2)), rng.random((sites, 2))
    costs = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2) * 100
    weights = rng.integers(1, 10, clients).astype(float)
    if integral:
        costs = np.round(costs)
    else:
        weights = weights * rng.random(clients)
    return Problem(costs=costs, weights=weights, p=int(rng.integers(1, sites + 1)))


@pytest.mark.parametrize("seed", range(24))
def test_pmedian_solve__small_random__equals_brute_force(seed: int) -> None:
    # Given a small weighted instance (clients × sites, integral costs or not)
    problem = _random_problem(seed, integral=seed % 2 == 0)

    # When
    solution = pmedian_solve(problem=problem, options=SolveOptions(time_limit=10))

    # Then: the optimum, proven, and a consistent answer
    optimum = _brute_force(problem)
    assert solution.objective == pytest.approx(optimum, rel=1e-9)
    assert solution.optimal
    assert solution.lower_bound is not None
    assert solution.lower_bound <= solution.objective + 1e-6
    assert len(solution.medians) == problem.p
    assert set(solution.assignment.tolist()) <= set(solution.medians)
    served = problem.weighted_costs()[np.arange(problem.clients), solution.assignment].sum()
    assert served == pytest.approx(solution.objective)


@pytest.mark.parametrize("seed", range(6))
def test_pmedian_solve__sites_kept_open__optimum_among_solutions_with_them(seed: int) -> None:
    # Given a problem where one or two sites must stay open
    base = _random_problem(100 + seed, integral=True)
    keep = tuple(range(min(base.p, 2)))
    problem = Problem(costs=base.costs, weights=base.weights, p=base.p, open_sites=keep)

    # When
    solution = pmedian_solve(problem=problem)

    # Then
    assert set(keep) <= set(solution.medians)
    assert solution.objective == pytest.approx(_brute_force(problem))


def test_pmedian_solve__heuristic_only__no_bound_and_a_valid_solution() -> None:
    problem = _random_problem(7, integral=True)

    solution = pmedian_solve(problem=problem, options=SolveOptions(exact=False, time_limit=2))

    assert solution.lower_bound is None
    assert solution.gap is None
    assert len(set(solution.medians)) == problem.p
    assert solution.objective >= _brute_force(problem) - 1e-9


@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed5"])
def test_pmedian_solve__orlib_instance__published_optimum_proven(name: str) -> None:
    # Given an OR-Library instance (Beasley 1985) and its published optimum
    problem = orlib_read(ORLIB / f"{name}.txt.gz").problem()

    # When
    solution = pmedian_solve(problem=problem, options=SolveOptions(time_limit=20))

    # Then
    assert solution.objective == OPTIMA[name]
    assert solution.optimal
    assert solution.lower_bound == OPTIMA[name]


@pytest.mark.parametrize(("problem", "message"), [
    (Problem(costs=np.zeros((0, 3)), p=1), "non-empty"),
    (Problem(costs=np.ones((2, 3)), p=4), "p must be between 1 and the number of sites"),
    (Problem(costs=np.ones((2, 3)), p=0), "p must be between"),
    (Problem(costs=-np.ones((2, 3)), p=1), "non-negative"),
    (Problem(costs=np.full((2, 3), np.inf), p=1), "finite"),
    (Problem(costs=np.ones((2, 3)), p=1, weights=np.ones(3)), "one entry per client"),
    (Problem(costs=np.ones((2, 3)), p=1, open_sites=(0, 1)), "2 sites must be open"),
    (Problem(costs=np.ones((2, 3)), p=1, open_sites=(5,)), "site indices"),
])
def test_pmedian_solve__malformed_problem__problem_error(problem: Problem, message: str) -> None:
    with pytest.raises(ProblemError, match=message):
        pmedian_solve(problem=problem)
