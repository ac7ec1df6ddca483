"""Which SKUs each FC stocks, nationally and once its region is regionalised.

Catalogue ranks follow demand.yaml: SKU k has popularity rank k, P(k) ~ 1 / (k + 1) ** 1.1.
Three bands: the head (top `HEAD_SKUS`, about 75% of the items ordered), the middle (up to
`REGIONAL_SKUS`, another 10%) and the long tail (the other 95% of SKUs, 15% of the items).

- Every regional FC stocks the head.
- National: the middle is cut into one slice per regional FC, so a middle SKU lives in one
  building in the country and an order for it ships from wherever that is. Slices carry demand
  in proportion to the FCs' capacities.
- Regionalised: each FC of the region stocks the whole head and middle (the top 5% of SKUs),
  so an order needs a building outside the region only for a long-tail item.
- The long tail stays at the national long-tail FCs (in no region) in every version: that is
  why even the all-regional network keeps some orders out of region.
"""

from __future__ import annotations

import numpy as np

from rollout.demo.sites import Site

CATALOG = 100_000
ZIPF = 1.1
HEAD_SKUS = 1_000
REGIONAL_SKUS = 5_000

Ranges = list[tuple[int, int]]  # inclusive SKU ranges


def national_slices(fcs: list[Site]) -> dict[str, tuple[int, int]]:
    """Regional FC id -> its inclusive slice of the middle band, by demand share ~ capacity.

    FCs take their slices in id order; the cut points fall where the cumulative Zipf demand
    of the band reaches each FC's share of the total capacity.
    """
    ordered = sorted((fc for fc in fcs if fc.region), key=lambda fc: fc.id)
    weights = 1.0 / np.power(np.arange(HEAD_SKUS + 1, REGIONAL_SKUS + 1, dtype=np.float64), ZIPF)
    cumulative = np.cumsum(weights) / weights.sum()
    capacity = np.array([fc.capacity or 1 for fc in ordered], dtype=np.float64)
    targets = np.cumsum(capacity)[:-1] / capacity.sum()
    cuts = [HEAD_SKUS, *(HEAD_SKUS + np.searchsorted(cumulative, targets)).tolist(),
            REGIONAL_SKUS]
    return {fc.id: (cuts[i], cuts[i + 1] - 1) for i, fc in enumerate(ordered)}


def stock_ranges(fc: Site, slices: dict[str, tuple[int, int]], regionalised: bool) -> Ranges:
    """Inclusive SKU ranges the FC stocks."""
    if not fc.region:
        return [(REGIONAL_SKUS, CATALOG - 1)]
    if regionalised:
        return [(0, REGIONAL_SKUS - 1)]
    low, high = slices[fc.id]
    return _merge([(0, HEAD_SKUS - 1), (low, high)])


def _merge(ranges: Ranges) -> Ranges:
    merged: Ranges = []
    for low, high in sorted(r for r in ranges if r[0] <= r[1]):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged
