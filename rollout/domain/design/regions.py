"""Region design: propose K regions for a bundle's network from demand, capacity and geography.

1. **Medians.** Zones weighted by demand are the clients, the regional FCs (those a base region
   lists) outside kept regions the candidate sites, and the cost the km a package travels from
   the FC to the zone as the simulator counts it (`costs.zone_fc_km`: the fastest lane path to
   the zone's station plus the last mile; zones × FCs only). The p-median solver
   (`pmedian_solve`) opens K − len(keep) FCs: each is the centre of a region and every zone
   first joins the region of its cheapest open FC (every centre gets at least one zone). That
   step is optimal (or says its gap) for the uncapacitated problem.
2. **FCs** (`sites.assign_fcs`). Every other free regional FC joins the region of the zone
   nearest to it (so a region's capacity is the FCs in its area). Facilities no base region
   lists (national FCs, shared hubs) stay in no region.
3. **Repairs** (`repair`, greedy, best effort): contiguity (Delaunay adjacency of the zone
   centroids), then capacity (a region's demand within its FCs' capacity × (1 − headroom)),
   then cost (a zone moves to a region whose nearest FC by great-circle, the one the simulator
   ships from, serves it for fewer km: `sites.region_costs`; not with `max_moves`, where
   stability comes first), then balance (largest / smallest region demand), then stability
   (at most `max_moves` zones away from their base region). A later repair never breaks what
   an earlier one achieved.
   Then the **hubs** (`sites.assign_hubs`): sort centres and stations move with the routes of
   the zones through them, repaired until every station is reached in its region (check
   E131); a station no region reaches is left in no region and listed in `shared`.
4. **Codes.** A proposed region that holds more than half of a base region's zones takes that
   region's code and name; otherwise a new code (R1, R2, ... not used by the base version).

Guaranteed: every zone in exactly one region, every region with at least one FC, kept regions
exactly as in the base version, no facility in two regions, every station of a free region
reached from its FCs through its own facilities (no E131). Best effort, reported in
`violations` when missed: contiguity, capacity, balance and `max_moves`.

Bounds: the solver's `time_limit` (default 5 s) plus the cost matrix (one fastest-path search
per candidate FC: `costs`), the repairs (see `repair`) and one route resolution (`sites`);
memory is a few zones × FCs float arrays, the solver's block temporaries (`interchange`,
`bound`) and the sparse adjacency (about 6 entries a zone). The Lagrangian bound runs at every
size, so the p-median step always reports its gap (`stats["pmedian_gap"]`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from rollout.domain.bundle import Bundle
from rollout.domain.design.adjacency import zone_adjacency
from rollout.domain.design.centres import centres_solve
from rollout.domain.design.codes import region_codes, zone_homes, zones_moved
from rollout.domain.design.costs import zone_fc_crow_km, zone_fc_km
from rollout.domain.design.frame import DesignRequest, design_frame
from rollout.domain.design.repair import (
    Partition,
    balance_ratio,
    improve_cost,
    limit_moves,
    repair_balance,
    repair_capacity,
    repair_contiguity,
)
from rollout.domain.design.sites import (
    Sites,
    assign_fcs,
    assign_hubs,
    fc_capacity,
    region_capacity,
    region_costs,
)
from rollout.domain.network import NetworkIndex


@dataclass(frozen=True)
class ProposedRegion:
    code: str
    name: str
    zones: tuple[str, ...]
    facilities: tuple[str, ...]
    demand: int
    #: FC capacity (packages/day) of the region; None when one of its FCs has no limit
    capacity: int | None
    kept: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "zones": list(self.zones),
                "facilities": list(self.facilities), "demand": self.demand,
                "capacity": self.capacity}


@dataclass
class RegionDesign:
    """The proposal: regions, zones moved from their base region, and what it misses."""

    regions: list[ProposedRegion]
    moved_zones: list[str]
    violations: list[str]
    #: facilities a base region lists that the proposal leaves in no region (unreachable)
    shared: list[str]
    #: demand-weighted km (`costs.zone_fc_km`) from each zone to its region's nearest FC
    objective: float
    seconds: float
    stats: dict[str, float] = field(default_factory=dict)
    #: demand-weighted km (`costs.zone_fc_km`) from each free zone to its region's centre FC:
    #: the objective the solver bounds
    centre_km: float = 0.0
    #: a proven lower bound on `centre_km` for any design meeting the capacity and max-moves
    #: constraints (None when none is known)
    lower_bound: float | None = None

    @property
    def gap(self) -> float | None:
        """(centre_km - lower bound) / centre_km: 0 when proven optimal; None when unknown."""
        if self.lower_bound is None:
            return None
        return max(0.0, (self.centre_km - self.lower_bound) / self.centre_km) \
            if self.centre_km > 0 else 0.0


def region_design(*, bundle: Bundle, request: DesignRequest) -> RegionDesign:
    """Propose `request.regions` regions for the bundle's network (module docstring: how,
    what is guaranteed, what is best effort). Raises `DesignError` for unusable requests."""
    started = time.perf_counter()
    frame = design_frame(bundle=bundle, request=request)
    net, base, kept, p = frame.net, frame.base, frame.kept, frame.p
    locked_facility, free_zones, fcs = frame.locked_facility, frame.free_zones, frame.fcs
    n_zones = net.n_zones
    weights = np.maximum(net.zone_demand, 0).astype(np.float64)
    if n_zones and not weights.any():
        weights = np.ones(n_zones)

    labels = np.full(n_zones, -1, dtype=np.intp)
    for index, region in enumerate(kept.tolist()):
        labels[base.zone_region == region] = p + index
    km = crow = np.zeros((n_zones, fcs.size))
    stats: dict[str, float] = {}
    medians, fc_region, lower_bound = np.zeros(0, dtype=np.intp), None, None
    if p:
        crow = zone_fc_crow_km(net, fcs)
        km = zone_fc_km(net, fcs, crow=crow)
        free_base = np.setdiff1d(np.arange(len(base.region_codes)), kept)
        base_index = np.full(len(base.region_codes) + 1, -1, dtype=np.intp)
        base_index[free_base] = np.arange(free_base.size)
        found = centres_solve(
            km=km[free_zones], weights=weights[free_zones], p=p,
            fc_limits=fc_capacity(net, fcs) * (1.0 - request.headroom),
            zone_base=base_index[base.zone_region[free_zones]], n_base=free_base.size,
            max_moves=request.max_moves, time_limit=request.time_limit, seed=request.seed)
        medians, fc_region, lower_bound = found.medians, found.fc_region, found.lower_bound
        labels[free_zones] = found.zone_region
        stats.update(found.stats)

    sites = Sites(net=net, fcs=fcs, medians=medians, km=km, locked_facility=locked_facility,
                  base_region=base.facility_region)
    facility_label = assign_fcs(sites, labels=labels, kept_regions=kept, p=p)
    if fc_region is not None:  # the constrained model placed the FCs itself
        facility_label[fcs] = fc_region
    n_regions = p + kept.size
    capacity, unlimited = region_capacity(net, facility_label, n_regions)
    limits = np.where(unlimited, np.inf, capacity * (1.0 - request.headroom))
    costs = region_costs(km, crow, facility_label[fcs], n_regions)
    part = Partition(labels=labels, weights=weights, costs=costs, limits=limits,
                     locked=np.arange(n_regions) >= p, adjacency=zone_adjacency(
                         net.zone_lat, net.zone_lon), contiguous=request.contiguous)
    if request.contiguous:
        repair_contiguity(part)
    repair_capacity(part)
    if request.max_moves is None:  # with a budget of moves, stability comes before km
        improve_cost(part)
    if request.balance is not None:
        repair_balance(part, request.balance)
    if request.max_moves is not None:
        homes = zone_homes(base=base, labels=part.labels, kept=kept, p=p)
        limit_moves(part, homes, request.max_moves)
    codes = region_codes(bundle=bundle, base=base, labels=part.labels, kept=kept, p=p)

    facility_label = assign_hubs(sites, bundle=bundle, labels=part.labels,
                                 label=facility_label, p=p)
    shared = np.flatnonzero((base.facility_region >= 0) & (facility_label < 0))
    centres = [net.facility_ids[f] for f in fcs[medians].tolist()]
    regions = _proposed(bundle, net, part, facility_label, codes, capacity, unlimited, centres)
    moved = zones_moved(bundle=bundle, base=base, labels=part.labels, codes=codes, net=net)
    violations = _violations(part, request, regions, codes, len(moved))
    objective = float(weights @ costs[np.arange(n_zones), part.labels]) if p else 0.0
    free = free_zones[part.labels[free_zones] < p]
    centre_km = float(weights[free] @ km[free, medians[part.labels[free]]]) if p else 0.0
    return RegionDesign(regions=regions, moved_zones=moved, violations=violations,
                        shared=[net.facility_ids[f] for f in shared.tolist()],
                        objective=objective, seconds=time.perf_counter() - started, stats=stats,
                        centre_km=centre_km, lower_bound=lower_bound)


def _proposed(bundle: Bundle, net: NetworkIndex, part: Partition, facility_label: np.ndarray,
              codes: list[str], capacity: np.ndarray, unlimited: np.ndarray,
              centres: list[str]) -> list[ProposedRegion]:
    """The regions in the base version's order, new ones after (named after their centre)."""
    p = len(centres)
    names = {r.code: r.name for r in bundle.regions.regions}
    order = {r.code: index for index, r in enumerate(bundle.regions.regions)}
    regions = []
    for region, code in enumerate(codes):
        zones = np.flatnonzero(part.labels == region)
        facilities = [net.facility_ids[f] for f in np.flatnonzero(facility_label == region)]
        centre = f" ({centres[region]})" if region < p else ""
        regions.append(ProposedRegion(
            code=code, name=names.get(code) or f"Region {code}{centre}",
            zones=tuple(net.zones.ids[z] for z in zones.tolist()),
            facilities=tuple(sorted(facilities)),
            demand=round(float(part.demand[region])) if net.zone_demand.max(initial=0) > 0
            else 0,
            capacity=None if unlimited[region] else int(capacity[region]),
            kept=region >= p))
    regions.sort(key=lambda r: (order.get(r.code, len(order)), len(r.code), r.code))
    return regions


def _violations(part: Partition, request: DesignRequest, regions: list[ProposedRegion],
                codes: list[str], moves: int) -> list[str]:
    """What the proposal misses, one sentence each."""
    problems: list[str] = []
    by_code = {r.code: r for r in regions}
    for region in part.over_capacity().tolist():
        info = by_code[codes[region]]
        problems.append(f"region {info.code}: demand {info.demand} over its FC capacity "
                        f"{info.capacity} less {request.headroom:.0%} headroom "
                        f"({part.limits[region]:.0f})")
    if request.contiguous:
        for region in range(part.regions):
            parts = len(part.fragments(region)) if part.members[region] else 0
            if parts > 1:
                problems.append(f"region {codes[region]}: {parts} separate areas, not one")
    if request.balance is not None:
        ratio = balance_ratio(part.demand)
        if ratio > request.balance + 1e-9:
            problems.append(f"balance: the largest region has {ratio:.2f} times the demand of "
                            f"the smallest, over the bound {request.balance:g}")
    if request.max_moves is not None and moves > request.max_moves:
        problems.append(f"{moves} zones move to another region, over --max-moves "
                        f"{request.max_moves}")
    return problems

