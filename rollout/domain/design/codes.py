"""Region codes of a proposal, and which zones moved from their base region.

A proposed region that holds more than half of a base region's zones takes that region's code
(the one with the most zones when several qualify); kept regions keep theirs; others get new
codes R1, R2, ... that the base version does not use.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.optimize import linear_sum_assignment

from rollout.domain.assignment import NO_REGION, Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex


def region_codes(*, bundle: Bundle, base: Assignment, labels: np.ndarray, kept: np.ndarray,
           p: int) -> list[str]:
    """Each proposed region's code: a kept region's own; the code of the base region whose
    zones it mostly holds (more than half of them; the most zones wins); else a new code."""
    base_regions = bundle.regions.regions
    codes: list[str | None] = [None] * (p + kept.size)
    for index, region in enumerate(kept.tolist()):
        codes[p + index] = base_regions[region].code
    sizes = np.bincount(base.zone_region[base.zone_region != NO_REGION],
                        minlength=len(base_regions))
    claims: list[tuple[int, int, int]] = []
    for proposed in range(p):
        held = Counter(base.zone_region[labels == proposed].tolist())
        for region, count in held.items():
            if region != NO_REGION and region not in kept and 2 * count > sizes[region]:
                claims.append((-count, proposed, region))
    for _, proposed, region in sorted(claims):
        code = base_regions[region].code
        if codes[proposed] is None and code not in codes:
            codes[proposed] = code
    used = {r.code for r in base_regions}
    counter = 0
    for proposed in range(p):
        while codes[proposed] is None:
            counter += 1
            if f"R{counter}" not in used:
                codes[proposed] = f"R{counter}"
    return [code for code in codes if code is not None]


def zone_homes(*, base: Assignment, labels: np.ndarray, kept: np.ndarray, p: int) -> np.ndarray:
    """Each zone's home: the proposed region matched with its base region (-1: none), the
    matching being the one that keeps the most zones where they are (Hungarian method); a
    zone of no base region is at home where it is."""
    n_base = len(base.region_codes)
    free_base = np.setdiff1d(np.arange(n_base), kept)
    overlap = np.zeros((p, free_base.size))
    has_base = base.zone_region != NO_REGION
    column = np.full(n_base, -1, dtype=np.intp)
    column[free_base] = np.arange(free_base.size)
    free = has_base & (labels < p) & (column[np.maximum(base.zone_region, 0)] >= 0)
    np.add.at(overlap, (labels[free], column[base.zone_region[free]]), 1)
    by_base = np.full(n_base + 1, -1, dtype=np.intp)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    by_base[free_base[cols]] = rows
    for index, region in enumerate(kept.tolist()):
        by_base[region] = p + index
    home = by_base[np.where(has_base, base.zone_region, n_base)]
    return np.where(has_base, home, labels)


def zones_moved(*, bundle: Bundle, base: Assignment, labels: np.ndarray, codes: list[str],
           net: NetworkIndex) -> list[str]:
    """Ids of zones whose proposed region's code is not their base region's code."""
    base_codes = [r.code for r in bundle.regions.regions]
    return [net.zones.ids[zone] for zone in range(labels.size)
            if base.zone_region[zone] != NO_REGION
            and codes[labels[zone]] != base_codes[base.zone_region[zone]]]
