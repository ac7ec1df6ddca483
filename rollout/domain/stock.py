"""Which FC stocks which SKU, as a facility x band boolean matrix.

Every FC's stock is a union of SKU intervals (`all`, "top P%", or explicit ranges). The interval
ends of all FCs cut the catalogue into bands inside which every FC's answer is constant, so a
(facility, SKU) question becomes `stocked[facility, band_of(sku)]`: a few hundred bands instead
of a catalogue-wide matrix, exact for any catalogue size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from rollout.domain.schema import Facility, StockAll, StockRanges, StockTop


def stock_intervals(facility: Facility, catalog: int) -> list[tuple[int, int]]:
    """Half-open [start, stop) SKU intervals the facility stocks, clipped to the catalogue."""
    spec = facility.stock_spec
    if isinstance(spec, StockAll):
        return [(0, catalog)]
    if isinstance(spec, StockTop):
        # SKU k is stocked iff k < P x catalog / 100 (DESIGN section 2), in exact arithmetic:
        # in floats 16.1 x 1000 / 100 is 161.00000000000003, whose ceiling would stock SKU 161.
        # str() of the float gives back the decimal the planner wrote.
        return [(0, min(catalog, math.ceil(Fraction(str(spec.percent)) * catalog / 100)))]
    assert isinstance(spec, StockRanges)
    return [(max(0, low), min(catalog, high + 1)) for low, high in spec.ranges if low < catalog]


@dataclass(frozen=True)
class StockTable:
    boundaries: np.ndarray  # sorted band starts; band b is [boundaries[b], boundaries[b+1])
    stocked: np.ndarray  # bool [n_facilities, n_bands]; only FCs stock anything

    def band_of(self, skus: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.boundaries, skus, side="right") - 1


def stock_table(facilities: list[Facility], catalog: int) -> StockTable:
    intervals = [
        stock_intervals(f, catalog) if f.type == "fc" else [] for f in facilities
    ]
    cuts = {0, catalog}
    for spans in intervals:
        for start, stop in spans:
            cuts.update((start, stop))
    boundaries = np.array(sorted(c for c in cuts if 0 <= c < catalog) or [0], dtype=np.int64)
    stocked = np.zeros((len(facilities), len(boundaries)), dtype=bool)
    for row, spans in enumerate(intervals):
        for start, stop in spans:
            if start < stop:
                first = int(np.searchsorted(boundaries, start, side="left"))
                last = int(np.searchsorted(boundaries, stop, side="left"))
                stocked[row, first:last] = True
    return StockTable(boundaries=boundaries, stocked=stocked)
