"""What serving a zone from an FC costs, as the simulator counts it: km along the fastest lane
path from the FC to the zone's station (`rollout.domain.paths`, the one route semantics) plus
the zone's last mile. The design minimises this, not the crow-fly distance, so a proposal is
judged on the km its packages would travel (on the 40,000-zone bench network the crow-fly
design needed 11% more trucks than the hand-made regions; this one needs fewer).

A zone whose station no lane path reaches from an FC costs the road distance (great-circle
x 1.2) plus `UNREACHABLE_KM` there, so it is served from such an FC only when nothing else
can; a zone whose station is unknown costs the road distance from every FC (no FC can reach
it, so geography alone places it).

Bounds: one fastest-path search per candidate FC and one path per (FC, distinct station): the
matrix is zones x candidate FCs (never zones x zones); on the bench network 130 FCs x 1,000
stations of paths and a 40,000 x 130 matrix (42 MB), 0.8 s.
"""

from __future__ import annotations

import numpy as np

from rollout.domain.design.problem import FloatArray, IntArray
from rollout.domain.network import NetworkIndex, road_km
from rollout.domain.paths import LaneLookup, last_mile, resolve_paths

#: added to the road km from an FC that has no lane path to the zone's station
UNREACHABLE_KM = 100_000.0


def zone_fc_crow_km(net: NetworkIndex, fcs: IntArray) -> FloatArray:
    """[zones, len(fcs)]: great-circle km from each zone to each of `fcs`: what "nearest" means
    to the simulator when it picks a region's FC for a zone (DESIGN section 4)."""
    fcs = np.asarray(fcs, dtype=np.intp)
    # The simulator's and the router's own reading (NetworkIndex.zone_distance_km, FCs x
    # zones), so "nearest" and its ties are theirs.
    return np.ascontiguousarray(
        net.zone_distance_km(fcs, np.arange(net.n_zones)).T, dtype=np.float64)


def zone_fc_km(net: NetworkIndex, fcs: IntArray, *, crow: FloatArray | None = None) -> FloatArray:
    """[zones, len(fcs)]: km from each of `fcs` (facility positions) to each zone, along the
    fastest lane path to the zone's station plus the last mile (module docstring). `crow`:
    `zone_fc_crow_km(net, fcs)` when the caller has it already."""
    fcs = np.asarray(fcs, dtype=np.intp)
    road = road_km(zone_fc_crow_km(net, fcs) if crow is None else crow)
    station = net.zone_station
    stations = np.unique(station[station >= 0])
    if not stations.size or not fcs.size:
        return np.asarray(road, dtype=np.float64)
    sources, targets = np.meshgrid(fcs, stations, indexing="ij")  # FCs x stations
    paths = resolve_paths(net, LaneLookup.build(net), {}, np.full(sources.size, -1),
                          sources.ravel(), targets.ravel())
    path_km = np.where(paths.ok, paths.km, np.nan).reshape(sources.shape)
    mile_km, _ = last_mile(net)
    known = np.flatnonzero(station >= 0)
    km = np.asarray(road, dtype=np.float64) + UNREACHABLE_KM
    km[station < 0] = road[station < 0]
    served = path_km[:, np.searchsorted(stations, station[known])].T + mile_km[known, None]
    km[known] = np.where(np.isnan(served), km[known], served)
    return km
