"""The constrained region model, exact with HiGHS (scipy's `milp`) where the instance is small.

Open p of the free FCs as region centres, put every free zone and every free FC in the region of
one centre, and minimise the demand-weighted km from each zone to its region's centre, subject
to what `regions` otherwise only repairs greedily (and no region without a zone):

- **capacity**: a region's demand within the capacity of its FCs × (1 − headroom) (an FC without
  a capacity makes its region's unlimited);
- **max moves**: at most N zones outside the proposed region matched with their base region (a
  one-to-one matching of free base regions with centres, chosen by the model, where a matched
  region holds more than half of the base region's zones: the rule by which `codes` keeps a
  base region's code, so the model never counts fewer moves than the proposal shows; a zone of
  no base region never counts);
- **kept regions**: their zones and FCs are not in the model at all, so they stay exactly.

Variables: y_j (centre j open), x_ij (zone i in j's region), z_kj (FC k in j's region), and for
max moves v_bj (base region b matched with j) and s_ij (zone i stays: in j's region and its
base region matched with j). All but s are binary. HiGHS either closes the model (optimal), or
at the time limit gives its best solution with a proven lower bound, or proves that no design
meets the constraints.

Bound: only when zones × FCs ≤ `MAX_CONSTRAINED_PAIRS` (the model has about 2 × that many
variables with max moves; beyond it HiGHS rarely closes the model within seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from rollout.domain.design.problem import FloatArray, IntArray

#: Largest zones × free FCs for which the constrained model is built.
MAX_CONSTRAINED_PAIRS = 10_000


@dataclass(frozen=True)
class ConstrainedProblem:
    """`km[i, j]` zone i to free FC j; `weights[i]` its demand; `limits[j]` what FC j adds to
    its region's allowed demand (capacity × (1 − headroom); inf: unlimited); `base[i]` the free
    base region of zone i (0..n_base-1, -1: none); `max_moves` (None: unbounded)."""

    km: FloatArray
    weights: FloatArray
    p: int
    limits: FloatArray
    base: IntArray
    n_base: int
    max_moves: int | None = None


@dataclass(frozen=True)
class ConstrainedResult:
    """The model's best design (`centres` are FC indices, ascending; `zone_region[i]` and
    `fc_region[k]` index `centres`), its objective and proven lower bound. `centres` is None
    when no design was found: `infeasible` says whether none exists."""

    centres: IntArray | None
    zone_region: IntArray | None
    fc_region: IntArray | None
    objective: float
    lower: float
    optimal: bool
    infeasible: bool = False


class _Columns:
    """Variable blocks laid out one after the other."""

    def __init__(self) -> None:
        self.size = 0

    def block(self, *shape: int) -> np.ndarray:
        count = int(np.prod(shape))
        index = np.arange(self.size, self.size + count).reshape(shape)
        self.size += count
        return index


class _Rows:
    """Sparse constraint rows lower <= A x <= upper, added a block at a time."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.count = 0

    def add(self, row: np.ndarray, col: np.ndarray, val: np.ndarray | float, n_rows: int,
            lower: float, upper: float) -> None:
        """`n_rows` new rows; entry (row, col) = val with `row` numbered from 0 in the block."""
        row, col = np.asarray(row).ravel(), np.asarray(col).ravel()
        self.rows.append(row + self.count)
        self.cols.append(col)
        self.vals.append(np.broadcast_to(np.asarray(val, dtype=np.float64), row.shape).ravel())
        self.lower.append(np.full(n_rows, lower))
        self.upper.append(np.full(n_rows, upper))
        self.count += n_rows

    def constraint(self, n_cols: int) -> LinearConstraint:
        matrix = coo_array((np.concatenate(self.vals),
                            (np.concatenate(self.rows), np.concatenate(self.cols))),
                           shape=(self.count, n_cols)).tocsr()
        return LinearConstraint(matrix, np.concatenate(self.lower), np.concatenate(self.upper))


def constrained_solve(problem: ConstrainedProblem, *,
                      time_limit: float) -> ConstrainedResult | None:
    """Solve the model within `time_limit` seconds; None when it is over the size limit."""
    n, m = problem.km.shape
    if n * m > MAX_CONSTRAINED_PAIRS or not 1 <= problem.p <= min(m, n):
        return None
    weights = np.asarray(problem.weights, dtype=np.float64)
    total = float(weights.sum())
    limits = np.where(np.isfinite(problem.limits), problem.limits, total + 1.0)
    columns = _Columns()
    y, x, z = columns.block(m), columns.block(n, m), columns.block(m, m)
    rows = _Rows()
    zones, sites = np.divmod(np.arange(n * m), m)
    rows.add(zones, x.ravel(), 1.0, n, 1.0, 1.0)  # each zone in one region
    rows.add(np.concatenate([sites, np.arange(m)]), np.concatenate([x.ravel(), y]),
             np.concatenate([np.ones(n * m), -np.ones(m)]), m, 0.0, np.inf)  # none empty
    link = np.arange(n * m)
    rows.add(np.concatenate([link, link]), np.concatenate([x.ravel(), y[sites]]),
             np.concatenate([np.ones(n * m), -np.ones(n * m)]), n * m, -np.inf, 0.0)
    rows.add(np.zeros(m, dtype=np.intp), y, 1.0, 1, problem.p, problem.p)
    fcs, centres = np.divmod(np.arange(m * m), m)
    rows.add(fcs, z.ravel(), 1.0, m, 1.0, 1.0)  # each FC in one region
    rows.add(np.concatenate([link[:m * m], link[:m * m]]),
             np.concatenate([z.ravel(), y[centres]]),
             np.concatenate([np.ones(m * m), -np.ones(m * m)]), m * m, -np.inf, 0.0)
    own = np.arange(m)
    rows.add(np.concatenate([own, own]), np.concatenate([z[own, own], y]),
             np.concatenate([np.ones(m), -np.ones(m)]), m, 0.0, 0.0)  # a centre is its own
    if np.isfinite(problem.limits).any():
        rows.add(np.concatenate([sites, centres]), np.concatenate([x.ravel(), z.ravel()]),
                 np.concatenate([weights[zones], -limits[fcs]]), m, -np.inf, 0.0)
    integral = [np.ones(columns.size, dtype=np.int8)]
    if problem.max_moves is not None:
        _add_moves(problem, problem.max_moves, columns, rows, y, x, integral)
    objective = np.zeros(columns.size)
    objective[x.ravel()] = (weights[:, None] * problem.km).ravel()
    integrality = np.concatenate(integral)
    result = milp(objective, integrality=integrality,
                  bounds=Bounds(np.zeros(columns.size), np.ones(columns.size)),
                  constraints=rows.constraint(columns.size),
                  options={"time_limit": max(0.1, time_limit), "disp": False})
    if result.status == 2:
        return ConstrainedResult(None, None, None, np.inf, np.inf, True, infeasible=True)
    dual = getattr(result, "mip_dual_bound", None)
    lower = float(dual) if dual is not None and np.isfinite(dual) else -np.inf
    if result.x is None:
        return ConstrainedResult(None, None, None, np.inf, lower, False)
    values = result.x
    opened = np.flatnonzero(values[y] > 0.5)
    position = np.full(m, -1, dtype=np.intp)
    position[opened] = np.arange(opened.size)
    zone_region = position[np.argmax(values[x], axis=1)]
    fc_region = position[np.argmax(values[z], axis=1)]
    optimal = result.status == 0
    return ConstrainedResult(opened.astype(np.intp), zone_region, fc_region,
                             float(result.fun), float(result.fun) if optimal else lower,
                             optimal)


def _add_moves(problem: ConstrainedProblem, max_moves: int, columns: _Columns, rows: _Rows,
               y: np.ndarray, x: np.ndarray, integral: list[np.ndarray]) -> None:
    """Matching v (base region -> centre) and stays s, with Σ stays >= zones with a base - N."""
    m = x.shape[1]
    b = problem.n_base
    based = np.flatnonzero(problem.base >= 0)
    v = columns.block(max(b, 0), m)
    s = columns.block(based.size, m)
    integral.append(np.ones(v.size, dtype=np.int8))
    integral.append(np.zeros(s.size, dtype=np.int8))
    if b:
        regions, centres = np.divmod(np.arange(b * m), m)
        rows.add(regions, v.ravel(), 1.0, b, -np.inf, 1.0)  # a base region matched once
        rows.add(np.concatenate([centres, np.arange(m)]),
                 np.concatenate([v.ravel(), y]),
                 np.concatenate([np.ones(b * m), -np.ones(m)]), m, -np.inf, 0.0)
    if based.size == 0:
        return
    # A matched centre holds more than half of its base region's zones: the rule by which a
    # proposed region keeps a base region's code (`codes.region_codes`), so moves count alike.
    sizes = np.bincount(problem.base[based], minlength=b)
    pairs = np.arange(based.size * m)
    zone_of, site_of = np.divmod(pairs, m)
    zones = based[zone_of]
    rows.add(np.concatenate([problem.base[zones] * m + site_of, np.arange(b * m)]),
             np.concatenate([x[zones, site_of], v.ravel()]),
             np.concatenate([np.ones(pairs.size), -np.repeat(sizes // 2 + 1, m)]), b * m,
             0.0, np.inf)
    rows.add(np.concatenate([pairs, pairs]), np.concatenate([s.ravel(), x[zones, site_of]]),
             np.concatenate([np.ones(pairs.size), -np.ones(pairs.size)]), pairs.size,
             -np.inf, 0.0)  # stays only in its region
    rows.add(np.concatenate([pairs, pairs]),
             np.concatenate([s.ravel(), v[problem.base[zones], site_of]]),
             np.concatenate([np.ones(pairs.size), -np.ones(pairs.size)]), pairs.size,
             -np.inf, 0.0)  # ... whose centre is matched with its base region
    rows.add(np.zeros(pairs.size, dtype=np.intp), s.ravel(), 1.0, 1,
             float(based.size - max_moves), np.inf)

