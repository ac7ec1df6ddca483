"""Which region each facility of a proposal joins (see `regions`, steps 2 and 4).

Only *regional* facilities move: those the base version's regions list. A facility that no base
region lists (a national long-tail FC, a shared hub) stays in no region, as the base has it.

- FCs (`assign_fcs`, before the repairs, since a region's capacity is its FCs'): an open FC
  founds its region; another free FC joins the region of the zone nearest to it.
- Sort centres and delivery stations (`assign_hubs`, once the zones are final) move with the
  packages that pass through them: every zone's route under the proposal (`nearest_in_region`
  routing, the product's one path rule, `rollout.domain.paths.zone_routes`) votes with the
  zone's demand for its region at each facility it passes after the FC, the station included;
  a facility joins the region with the most votes (one no route passes joins the region of the
  zone nearest to it).
- Then what check E131 asks: each region's stations reachable from its FCs through lanes
  between its own facilities. A station or sort centre that its region does not reach moves to
  a region that reaches one of the facilities with a lane into it (most votes first), until
  nothing moves; a station still unreached is left in no region (`shared`): allowed, and never
  an error.

Bounds: one route resolution (one Dijkstra per distinct FC), votes per distinct path, and at
most `_MAX_PASSES` breadth-first searches over the lanes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.design.problem import FloatArray, IntArray
from rollout.domain.network import NetworkIndex, great_circle_km
from rollout.domain.paths import zone_routes
from rollout.domain.routing import ZoneRouter
from rollout.domain.schema import Region, Regions, Route, Routing

#: How many times the reachability repair re-reads the lanes before it gives up.
_MAX_PASSES = 16


@dataclass(frozen=True)
class Sites:
    """The free regional FCs (facility positions), the open ones among them (indices into
    `fcs`), the zones × free FCs km, the facilities of kept regions, and every facility's base
    region (-1: in none)."""

    net: NetworkIndex
    fcs: IntArray
    medians: IntArray
    km: FloatArray
    locked_facility: np.ndarray
    base_region: np.ndarray

    @property
    def movable(self) -> np.ndarray:
        """Facilities the proposal places: in a base region that is not kept."""
        return (self.base_region >= 0) & ~self.locked_facility


def assign_fcs(sites: Sites, *, labels: IntArray, kept_regions: IntArray, p: int) -> np.ndarray:
    """Facility position -> proposed region (-1: none yet) with only the FCs placed: kept
    regions keep their facilities, an open FC founds its region, another free regional FC
    joins the region of the zone nearest to it."""
    label = np.full(sites.net.n_facilities, -1, dtype=np.intp)
    for index, region in enumerate(kept_regions.tolist()):
        label[sites.base_region == region] = p + index
    free_zone = labels < p
    label[sites.fcs[sites.medians]] = np.arange(sites.medians.size)
    others = np.setdiff1d(np.arange(sites.fcs.size), sites.medians)
    if others.size and free_zone.any():
        zone_km = np.where(free_zone[:, None], sites.km[:, others], np.inf)
        label[sites.fcs[others]] = labels[np.argmin(zone_km, axis=0)]
    return label


def assign_hubs(sites: Sites, *, bundle: Bundle, labels: IntArray, label: np.ndarray,
                p: int) -> np.ndarray:
    """`label` (from `assign_fcs`) with the free regional sort centres and stations placed by
    the routes through them, then repaired so that every station is reached (module
    docstring). Returns a new array; facilities left in no region read -1."""
    net = sites.net
    label = label.copy()
    if p == 0:  # every region kept: no free region to place a hub in
        return label
    n_regions = int(max(labels.max(initial=-1), label.max(initial=-1))) + 1
    hubs = sites.movable & (net.facility_type != "fc")
    votes = route_votes(bundle=bundle, net=net, labels=labels, label=label,
                        n_regions=n_regions)
    voted = hubs & (votes[:, :p].sum(axis=1) > 0)
    label[voted] = np.argmax(votes[voted, :p], axis=1)
    unvoted = np.flatnonzero(hubs & ~voted)
    free_zone = labels < p
    if unvoted.size and free_zone.any():
        km = great_circle_km(net.facility_lat[unvoted][:, None], net.facility_lon[unvoted][:, None],
                             net.zone_lat[None, :], net.zone_lon[None, :])
        label[unvoted] = labels[np.argmin(np.where(free_zone[None, :], km, np.inf), axis=1)]
    _reach_repair(net, label, votes, hubs, p)
    return label


def route_votes(*, bundle: Bundle, net: NetworkIndex, labels: IntArray, label: np.ndarray,
                n_regions: int) -> FloatArray:
    """facilities × regions: the demand of each region's zones whose route (first candidate
    under `nearest_in_region` with the FCs of `label`) passes through the facility after its
    FC. Zones of no demand count a little, so that a station of such zones still has a vote."""
    codes = [f"D{r}" for r in range(n_regions)]
    ids = net.zones.ids
    regions = [Region(code=codes[r], name=codes[r],
                      zones=[ids[z] for z in np.flatnonzero(labels == r).tolist()],
                      facilities=[net.facility_ids[f] for f in
                                  np.flatnonzero((label == r) & (net.facility_type == "fc"))])
               for r in range(n_regions)]
    proposal = Bundle(network=bundle.network, regions=Regions(regions=regions),
                      routing=Routing(routes=[Route(region="*", fcs="nearest_in_region")]))
    router = ZoneRouter(Assignment(proposal, net))
    routes = zone_routes(router, first=router.first_candidates())
    votes = np.zeros((net.n_facilities, n_regions))
    routed = np.flatnonzero((routes.zone_path >= 0) & (labels >= 0))
    if routed.size == 0:
        return votes
    weight = np.maximum(net.zone_demand[routed], 0).astype(np.float64) + 1e-6
    per_path = np.zeros((len(routes.paths.ok), n_regions))
    np.add.at(per_path, (routes.zone_path[routed], labels[routed]), weight)
    for path in np.flatnonzero(per_path.sum(axis=1) > 0).tolist():
        for facility in routes.paths.positions[path][1:]:
            votes[facility] += per_path[path]
    return votes


def unreached(net: NetworkIndex, label: np.ndarray) -> np.ndarray:
    """Per facility: in a region (label >= 0) and not reached from that region's FCs through
    lanes between the region's own facilities (for a station: what check E131 finds)."""
    successors: dict[int, list[int]] = {}
    for source, target in zip(net.lane_from.tolist(), net.lane_to.tolist(), strict=True):
        if source >= 0 and target >= 0 and label[source] == label[target] >= 0:
            successors.setdefault(source, []).append(target)
    reached = np.zeros(net.n_facilities, dtype=bool)
    starts = np.flatnonzero((net.facility_type == "fc") & (label >= 0))
    reached[starts] = True
    queue = deque(starts.tolist())
    while queue:
        node = queue.popleft()
        for other in successors.get(node, ()):
            if not reached[other]:
                reached[other] = True
                queue.append(other)
    return (label >= 0) & ~reached


def _reach_repair(net: NetworkIndex, label: np.ndarray, votes: FloatArray, hubs: np.ndarray,
                  p: int) -> None:
    """Move each unreached hub to a free region that reaches one of its predecessors (most
    votes, then the lowest region), until nothing moves; then leave unreached stations in no
    region. Edits `label` in place."""
    known = (net.lane_from >= 0) & (net.lane_to >= 0)
    lane_from, lane_to = net.lane_from[known], net.lane_to[known]
    for _ in range(_MAX_PASSES):
        lost = unreached(net, label)
        stuck = np.flatnonzero(lost & hubs)
        if stuck.size == 0:
            break
        moved = False
        for facility in stuck.tolist():
            feeders = lane_from[lane_to == facility]
            options = {int(label[f]) for f in feeders.tolist()
                       if 0 <= label[f] < p and not lost[f]} - {int(label[facility])}
            if options:
                label[facility] = max(sorted(options), key=lambda r: votes[facility, r])
                moved = True
        if not moved:
            break
    lost = unreached(net, label)
    label[lost & hubs & (net.facility_type == "ds")] = -1


def fc_capacity(net: NetworkIndex, fcs: IntArray) -> FloatArray:
    """The capacity (packages/day) of each of the FCs `fcs`; inf for an FC without one."""
    values = [net.network.facilities[f].capacity for f in np.asarray(fcs).tolist()]
    return np.array([np.inf if value is None else float(value) for value in values])


def region_capacity(net: NetworkIndex, facility_label: np.ndarray,
                    n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """Each region's FC capacity (of its limited FCs), and whether one of its FCs is unlimited."""
    fcs = net.fc_positions[facility_label[net.fc_positions] >= 0]
    regions, capacity = facility_label[fcs], fc_capacity(net, fcs)
    limited = np.isfinite(capacity)
    unlimited = np.zeros(n_regions, dtype=bool)
    unlimited[regions[~limited]] = True
    return (np.bincount(regions[limited], weights=capacity[limited], minlength=n_regions)
            .astype(np.float64), unlimited)


def region_costs(km: np.ndarray, crow: np.ndarray, fc_label: np.ndarray,
                 n_regions: int) -> np.ndarray:
    """zones × regions: what serving each zone from the region costs as the simulator counts
    it: the km (`km`, lane path plus last mile) from the region's FC nearest the zone by
    great-circle (`crow`), the one `nearest_in_region` ships from when it stocks the item (inf
    for kept regions, which the repairs never touch)."""
    costs = np.full((km.shape[0], n_regions), np.inf)
    rows = np.arange(km.shape[0])
    for region in range(n_regions):
        columns = np.flatnonzero(fc_label == region)
        if columns.size:
            costs[:, region] = km[rows, columns[crow[:, columns].argmin(axis=1)]]
    return costs
