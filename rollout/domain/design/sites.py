"""Which region each facility of a proposal joins (see `regions`, step 2)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from rollout.domain.design.problem import FloatArray, IntArray
from rollout.domain.network import NetworkIndex, great_circle_km


@dataclass(frozen=True)
class Sites:
    """The free FCs (facility positions), the open ones among them (indices into `fcs`), the
    zones × free FCs km, and the facilities of kept regions."""

    net: NetworkIndex
    fcs: IntArray
    medians: IntArray
    km: FloatArray
    locked_facility: np.ndarray


def assign_facilities(sites: Sites, *, labels: IntArray, kept_regions: IntArray,
                      base_facility_region: np.ndarray, p: int) -> np.ndarray:
    """Facility position -> proposed region (-1: in none). Kept regions keep their facilities;
    an open FC founds its region; another free FC joins the region of its nearest zone; a
    station the region of most of the demand it delivers; a sort centre the region of most of
    the stations it feeds by lane, else of its nearest zone."""
    net = sites.net
    label = np.full(net.n_facilities, -1, dtype=np.intp)
    for index, region in enumerate(kept_regions.tolist()):
        label[base_facility_region == region] = p + index
    free_zone = labels < p
    label[sites.fcs[sites.medians]] = np.arange(sites.medians.size)
    others = np.setdiff1d(np.arange(sites.fcs.size), sites.medians)
    if others.size and free_zone.any():
        zone_km = np.where(free_zone[:, None], sites.km[:, others], np.inf)
        label[sites.fcs[others]] = labels[np.argmin(zone_km, axis=0)]

    demand = np.maximum(net.zone_demand, 0) + 1e-6  # stations with zones of no demand count
    station_votes: dict[int, dict[int, float]] = {}
    for zone in np.flatnonzero(free_zone & (net.zone_station >= 0)).tolist():
        votes = station_votes.setdefault(int(net.zone_station[zone]), {})
        votes[int(labels[zone])] = votes.get(int(labels[zone]), 0.0) + float(demand[zone])
    for station, votes in station_votes.items():
        if not sites.locked_facility[station] and net.facility_type[station] == "ds":
            label[station] = min(votes, key=lambda region: (-votes[region], region))

    free = ~sites.locked_facility
    for sc in np.flatnonzero((net.facility_type == "sc") & free).tolist():
        fed = net.lane_to[(net.lane_from == sc) & (net.lane_to >= 0)]
        fed_votes = Counter(int(label[d]) for d in fed.tolist()
                        if net.facility_type[d] == "ds" and 0 <= label[d] < p)
        if fed_votes:
            label[sc] = min(fed_votes, key=lambda region: (-fed_votes[region], region))
        elif free_zone.any():
            km = great_circle_km(net.facility_lat[sc], net.facility_lon[sc],
                                 net.zone_lat, net.zone_lon)
            label[sc] = labels[int(np.argmin(np.where(free_zone, km, np.inf)))]
    return label


def unreachable_stations(net: NetworkIndex, label: np.ndarray, n_regions: int) -> IntArray:
    """Delivery stations that no FC of their region reaches through lanes between the region's
    own facilities (what check E131 would find): they are better left out of every region."""
    successors: dict[int, list[int]] = {}
    for source, target in zip(net.lane_from.tolist(), net.lane_to.tolist(), strict=True):
        if source >= 0 and target >= 0 and label[source] == label[target] >= 0:
            successors.setdefault(source, []).append(target)
    reached = np.zeros(net.n_facilities, dtype=bool)
    starts = np.flatnonzero((net.facility_type == "fc") & (label >= 0) & (label < n_regions))
    reached[starts] = True
    queue = deque(starts.tolist())
    while queue:
        node = queue.popleft()
        for other in successors.get(node, ()):
            if not reached[other]:
                reached[other] = True
                queue.append(other)
    return np.flatnonzero((net.facility_type == "ds") & (label >= 0) & ~reached)
