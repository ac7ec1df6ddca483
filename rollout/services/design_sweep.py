"""The K sweep: the same design for every K in A..B, each simulated on one day of orders, so an
operator sees the trade-off (in-region share, trucks, fill, km, the largest region's capacity
use) before picking K.

The base version's side (its bundle, its day of orders, its simulation) is computed once for all
Ks (`rollout.services.designs.design_base`), and the proposal for the K asked for is the sweep's
own run for that K when K lies in A..B.

Bounds: at most `MAX_SWEEP` values of K; K's number of solver seconds (`time_limit`) summed over
the sweep at most `SWEEP_SOLVER_SECONDS` (refused before anything is computed); and a deadline
of `SWEEP_SECONDS` of wall time, past which the Ks not yet designed are reported as skipped
rather than computed. A K the network cannot have (the domain's `DesignError` rules: more
regions than FCs or zones, fewer than the kept ones) refuses the sweep: the ends A and B are
designed first, so such a sweep is refused after at most two designs.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from rollout.domain.design.frame import DesignError
from rollout.models import Version
from rollout.services.designs import (
    DesignOutcome,
    Progress,
    design_base,
    design_propose_for,
    design_request,
    no_progress,
    progress_part,
    region_design,
)

logger = logging.getLogger(__name__)

#: the most values of K one sweep designs
MAX_SWEEP = 16
#: the most solver seconds a sweep may be given in all (values of K x time limit)
SWEEP_SOLVER_SECONDS = 600.0
#: the wall-time deadline past which the Ks not designed yet are skipped
SWEEP_SECONDS = 900.0

_RANGE = re.compile(r"\s*(\d{1,6})\s*-\s*(\d{1,6})\s*")


def sweep_range(text: str) -> range:
    """The Ks of a sweep written "A-B" (for instance "4-12"): A..B, both included, 1 <= A <= B,
    at most MAX_SWEEP values. Raises `DesignError` saying what is wrong."""
    match = _RANGE.fullmatch(text)
    if match is None:
        raise DesignError(f"--sweep must be a range of region counts A-B such as 4-12, "
                          f"got {text!r}")
    low, high = int(match[1]), int(match[2])
    if not 1 <= low <= high:
        raise DesignError(f"--sweep {text}: the range must go up from at least 1 (A <= B)")
    if high - low + 1 > MAX_SWEEP:
        raise DesignError(f"--sweep {text} has {high - low + 1} values of K; at most "
                          f"{MAX_SWEEP} per sweep")
    return range(low, high + 1)


def region_design_sweep(*, version: Version, regions: int, sweep: range | None,
                        keep: tuple[str, ...] = (), max_moves: int | None = None,
                        headroom: float = 0.0, contiguous: bool = False,
                        balance: float | None = None, keep_routing: bool = False,
                        time_limit: float = 5.0,
                        progress: Progress = no_progress) -> DesignOutcome:
    """The proposal for `regions` (as `region_design` gives it) with `sweep` set: one row per K
    of `sweep` (`sweep_row`), in order of K; without a sweep (None) just the proposal. Raises as
    `region_design`, and `DesignError` for a sweep over its bounds."""
    if sweep is None:
        return region_design(version=version, regions=regions, keep=keep, max_moves=max_moves,
                             headroom=headroom, contiguous=contiguous, balance=balance,
                             keep_routing=keep_routing, time_limit=time_limit,
                             progress=progress)
    ks = list(sweep)
    if not ks or len(ks) > MAX_SWEEP:
        raise DesignError(f"a sweep has 1 to {MAX_SWEEP} values of K, got {len(ks)}")
    if len(ks) * time_limit > SWEEP_SOLVER_SECONDS:
        raise DesignError(f"a sweep of {len(ks)} values of K at {time_limit:g} s each exceeds "
                          f"the sweep's {SWEEP_SOLVER_SECONDS:g} s of solver time: narrow it or "
                          "lower the time limit")
    requests = {k: design_request(regions=k, keep=keep, max_moves=max_moves,
                                  headroom=headroom, contiguous=contiguous, balance=balance,
                                  time_limit=time_limit)
                for k in dict.fromkeys([regions, *ks])}
    # K asked for, then the ends (a K out of the network's range fails early), then the rest.
    order = list(dict.fromkeys([regions, ks[0], ks[-1], *ks]))
    started = time.monotonic()
    progress(0.0, "simulating the base version")
    base = design_base(version=version)
    outcomes: dict[int, DesignOutcome] = {}
    seconds: dict[int, float] = {}
    skipped: list[int] = []
    for step, k in enumerate(order):
        if k != regions and time.monotonic() - started > SWEEP_SECONDS:
            skipped.append(k)
            continue
        share = 0.05 + 0.95 * step / len(order)
        began = time.monotonic()
        outcomes[k] = design_propose_for(base=base, request=requests[k],
                                         keep_routing=keep_routing,
                                         progress=progress_part(progress, share, 0.95 / len(order)))
        seconds[k] = time.monotonic() - began
    rows = [sweep_row(outcomes[k], seconds=seconds[k]) if k in outcomes else _skipped_row(k)
            for k in ks]
    logger.info("design.swept version_id=%s sweep=%d-%d skipped=%d seconds=%.1f", version.id,
                ks[0], ks[-1], len(skipped), time.monotonic() - started)
    outcome = outcomes[regions]
    outcome.sweep = rows
    return outcome


def sweep_row(outcome: DesignOutcome, *, seconds: float) -> dict[str, Any]:
    """One K of a sweep: the proposal's simulated totals and what it cost (`seconds`: designing,
    checking and simulating it)."""
    total = outcome.kpis["proposal"]["total"]
    regions = outcome.design.regions
    largest = max(regions, key=lambda region: region.demand)
    return {
        "regions": len(regions),
        "in_region_pct": total["in_region_pct"],
        "trucks": total["trucks"],
        "fill_pct": total["fill_pct"],
        "avg_km": total["avg_km"],
        # null when the largest region's FCs are unlimited (or it has no capacity to divide by)
        "max_capacity_use_pct": (round(100.0 * largest.demand / largest.capacity, 1)
                                 if largest.capacity else None),
        "moved_zones": len(outcome.design.moved_zones),
        "violations": len(outcome.design.violations),
        "seconds": round(seconds, 3),
        "skipped": False,
    }


def _skipped_row(k: int) -> dict[str, Any]:
    return {"regions": k, "in_region_pct": None, "trucks": None, "fill_pct": None,
            "avg_km": None, "max_capacity_use_pct": None, "moved_zones": None,
            "violations": None, "seconds": None, "skipped": True}
