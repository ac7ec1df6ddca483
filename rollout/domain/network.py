"""The physical network as arrays and a networkx graph, built once per bundle.

Facilities, zones and lanes get integer positions so checks and the simulator can work on numpy
arrays; the networkx `DiGraph` (facility ids as nodes, lanes as edges) is the graph the checks
reason about. Lane defaults (DESIGN section 2): km = great-circle km x 1.2, hours = km / 65.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import networkx as nx
import numpy as np

from rollout.domain.ranges import ZoneIndex
from rollout.domain.schema import Facility, Lane, Network

if TYPE_CHECKING:
    from scipy.sparse import csr_array

# scipy is imported inside the methods that use it: it costs ~0.4 s to import, which a CLI run
# that never needs a shortest path (a bundle with schema errors, say) should not pay.

EARTH_RADIUS_KM = 6371.0
ROAD_FACTOR = 1.2
DEFAULT_SPEED_KMH = 65.0
DEFAULT_TRUCK_CAPACITY = 2000


def great_circle_km(
    lat1: np.ndarray | float, lon1: np.ndarray | float, lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Haversine distance in km; broadcasts over numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def road_km(gc_km: np.ndarray | float) -> np.ndarray:
    return np.asarray(gc_km) * ROAD_FACTOR


def hours_for_km(km: np.ndarray | float) -> np.ndarray:
    return np.asarray(km) / DEFAULT_SPEED_KMH


@dataclass
class NetworkIndex:
    """Positions and arrays for one `Network`. Unknown references are kept as -1."""

    network: Network
    facility_ids: list[str] = field(init=False)
    facility_position: dict[str, int] = field(init=False)
    facility_type: np.ndarray = field(init=False)  # "fc" | "sc" | "ds" as <U2
    facility_lat: np.ndarray = field(init=False)
    facility_lon: np.ndarray = field(init=False)
    zones: ZoneIndex = field(init=False)
    zone_lat: np.ndarray = field(init=False)
    zone_lon: np.ndarray = field(init=False)
    zone_station: np.ndarray = field(init=False)  # facility position, -1 if unknown
    zone_demand: np.ndarray = field(init=False)  # -1 where not given
    lane_from: np.ndarray = field(init=False)  # facility position, -1 if unknown
    lane_to: np.ndarray = field(init=False)
    lane_km: np.ndarray = field(init=False)
    lane_hours: np.ndarray = field(init=False)
    lane_truck_capacity: np.ndarray = field(init=False)
    _shared: _FacilitiesAndLanes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shared = _FacilitiesAndLanes.of(self.network.facilities, self.network.lanes)
        self._shared = shared
        self.facility_ids, self.facility_position = shared.ids, shared.position
        self.facility_type, self.facility_lat = shared.type, shared.lat
        self.facility_lon = shared.lon
        self.lane_from, self.lane_to = shared.lane_from, shared.lane_to
        self.lane_km, self.lane_hours = shared.lane_km, shared.lane_hours
        self.lane_truck_capacity = shared.lane_truck_capacity

        zones = self.network.zones
        self.zones = ZoneIndex([z.id for z in zones])
        self.zone_lat = np.array([z.lat for z in zones], dtype=np.float64)
        self.zone_lon = np.array([z.lon for z in zones], dtype=np.float64)
        position = self.facility_position
        self.zone_station = np.array([position.get(z.station, -1) for z in zones], dtype=np.int64)
        self.zone_demand = np.array(
            [-1 if z.demand is None else z.demand for z in zones], dtype=np.int64
        )

    @property
    def n_facilities(self) -> int:
        return len(self.facility_ids)

    @property
    def n_zones(self) -> int:
        return len(self.zones.ids)

    @property
    def fc_positions(self) -> np.ndarray:
        """FC positions sorted by facility id, so argmin ties go to the smaller id."""
        return self._shared.fc_positions

    @property
    def graph(self) -> nx.DiGraph:
        """Facilities as nodes (with type), known lanes as edges (km, hours, truck_capacity)."""
        return self._shared.graph

    @property
    def lane_matrix_hours(self) -> csr_array:
        """Sparse facility x facility matrix of lane hours (the fastest of duplicate lanes)."""
        return self._shared.lane_matrix_hours

    def reachable_from(self, sources: np.ndarray) -> np.ndarray:
        """Boolean matrix [len(sources), n_facilities]: can source reach facility via lanes."""
        return self._shared.reachable_from(sources)

    def fastest_paths_from(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hours, predecessors) of the fastest lane paths from each source to every facility."""
        return self._shared.fastest_paths_from(sources)

    def zone_distance_km(self, facilities: np.ndarray, zones: np.ndarray) -> np.ndarray:
        """Great-circle km, matrix [len(facilities), len(zones)]."""
        return great_circle_km(
            self.facility_lat[facilities][:, None], self.facility_lon[facilities][:, None],
            self.zone_lat[zones][None, :], self.zone_lon[zones][None, :],
        )


class _FacilitiesAndLanes:
    """The facility and lane arrays of a network, its graph and its shortest paths: what does
    not depend on zones. Shared by every `NetworkIndex` over the same facility and lane lists
    (a composite state, its slices and the versions that share a parsed network), so each is
    built once. Results are read-only."""

    _cache: ClassVar[dict[tuple[int, int], _FacilitiesAndLanes]] = {}

    def __init__(self, facilities: list[Facility], lanes: list[Lane]) -> None:
        self.facilities, self.lanes = facilities, lanes  # held: the cache key is their ids
        self.ids = [f.id for f in facilities]
        self.position: dict[str, int] = {}
        for index, facility_id in enumerate(self.ids):
            self.position.setdefault(facility_id, index)
        self.type = np.array([f.type for f in facilities], dtype="<U2")
        self.lat = np.array([f.lat for f in facilities], dtype=np.float64)
        self.lon = np.array([f.lon for f in facilities], dtype=np.float64)
        position = self.position
        self.lane_from = np.array([position.get(lane.from_, -1) for lane in lanes],
                                  dtype=np.int64)
        self.lane_to = np.array([position.get(lane.to, -1) for lane in lanes], dtype=np.int64)
        known = (self.lane_from >= 0) & (self.lane_to >= 0)
        gc = np.zeros(len(lanes))
        if known.any():
            f, t = self.lane_from[known], self.lane_to[known]
            gc[known] = great_circle_km(self.lat[f], self.lon[f], self.lat[t], self.lon[t])
        given_km = np.array([np.nan if lane.km is None else lane.km for lane in lanes])
        self.lane_km = np.where(np.isnan(given_km), road_km(gc), given_km)
        given_hours = np.array([np.nan if lane.hours is None else lane.hours for lane in lanes])
        self.lane_hours = np.where(np.isnan(given_hours), hours_for_km(self.lane_km), given_hours)
        self.lane_truck_capacity = np.array([lane.truck_capacity for lane in lanes],
                                            dtype=np.int64)
        self._reach: dict[bytes, np.ndarray] = {}
        self._paths: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def of(cls, facilities: list[Facility], lanes: list[Lane]) -> _FacilitiesAndLanes:
        key = (id(facilities), id(lanes))
        found = cls._cache.get(key)
        if found is None or found.facilities is not facilities or found.lanes is not lanes:
            if len(cls._cache) >= 8:
                cls._cache.clear()
            found = cls._cache[key] = cls(facilities, lanes)
        return found

    @cached_property
    def fc_positions(self) -> np.ndarray:
        fcs = np.flatnonzero(self.type == "fc")
        order = np.argsort(np.array([self.ids[i] for i in fcs], dtype=object), kind="stable")
        return fcs[order]

    @cached_property
    def graph(self) -> nx.DiGraph:
        graph: nx.DiGraph = nx.DiGraph()
        graph.add_nodes_from(
            (fid, {"type": str(kind)}) for fid, kind in zip(self.ids, self.type, strict=True)
        )
        ids = self.ids
        graph.add_edges_from(
            (ids[f], ids[t], {"km": float(km), "hours": float(h), "truck_capacity": int(c)})
            for f, t, km, h, c in zip(self.lane_from.tolist(), self.lane_to.tolist(),
                                      self.lane_km.tolist(), self.lane_hours.tolist(),
                                      self.lane_truck_capacity.tolist(), strict=True)
            if f >= 0 and t >= 0
        )
        return graph

    @cached_property
    def lane_matrix_hours(self) -> csr_array:
        from scipy.sparse import csr_array

        known = (self.lane_from >= 0) & (self.lane_to >= 0)
        n = len(self.ids)
        order = np.lexsort((-self.lane_hours[known], self.lane_to[known], self.lane_from[known]))
        rows = self.lane_from[known][order]
        cols = self.lane_to[known][order]
        hours = self.lane_hours[known][order]
        # csr sums duplicates; keep only the last (fastest, by the sort) of each pair instead.
        last = np.ones(len(rows), dtype=bool)
        if len(rows) > 1:
            last[:-1] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        # Zero-hour lanes would read as "no edge" in a sparse matrix: nudge them.
        weights = np.maximum(hours[last], 1e-9)
        return csr_array((weights, (rows[last], cols[last])), shape=(n, n))

    def reachable_from(self, sources: np.ndarray) -> np.ndarray:
        if len(sources) == 0:
            return np.zeros((0, len(self.ids)), dtype=bool)
        key = np.asarray(sources, dtype=np.int64).tobytes()
        found = self._reach.get(key)
        if found is None:
            from scipy.sparse.csgraph import dijkstra

            distances = dijkstra(self.lane_matrix_hours, directed=True, indices=sources,
                                 unweighted=True)
            found = self._reach[key] = np.isfinite(np.atleast_2d(distances))
        return found

    def fastest_paths_from(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.asarray(sources, dtype=np.int64).tobytes()
        found = self._paths.get(key)
        if found is None:
            from scipy.sparse.csgraph import dijkstra

            hours, predecessors = dijkstra(self.lane_matrix_hours, directed=True,
                                           indices=sources, return_predecessors=True)
            if len(self._paths) >= 8:
                self._paths.clear()
            found = self._paths[key] = (np.atleast_2d(hours), np.atleast_2d(predecessors))
        return found
