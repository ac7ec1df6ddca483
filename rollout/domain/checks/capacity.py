"""Capacity checks: can a region's FCs ship what its zones order?"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from rollout.domain.checks.context import CheckContext
from rollout.domain.checks.registry import check
from rollout.domain.findings import Finding, Ref, finding


@check("W160")
def region_capacity(ctx: CheckContext) -> Iterator[Finding]:
    """Sum of the region's FC capacities against the sum of its zones' demand.

    Only FCs and zones that state a capacity or demand count; a region where none does is not
    judged (there is nothing to compare).
    """
    facilities = ctx.bundle.network.facilities
    demand = ctx.net.zone_demand
    for region_index, region in enumerate(ctx.bundle.regions.regions):
        fcs = ctx.assignment.region_fcs[region_index].tolist()
        capacities = [facilities[fc].capacity for fc in fcs]
        zones = np.flatnonzero(ctx.assignment.zone_region == region_index)
        zone_demand = demand[zones]
        if not any(c is not None for c in capacities) or not (zone_demand >= 0).any():
            continue
        capacity = sum(c for c in capacities if c is not None)
        ordered = int(zone_demand[zone_demand >= 0].sum())
        if capacity < ordered:
            yield finding("W160", f"region {region.code}: FC capacity {capacity:,}/day is below "
                          f"its demand of {ordered:,} orders/day", Ref("regions",
                                                                      ("regions", region_index)),
                          hint="add FC capacity to the region or move zones out of it")
