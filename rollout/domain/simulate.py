"""The vectorised order-flow simulator (DESIGN section 4, a contract).

`prepare` resolves everything that depends only on the bundle once: every zone's candidate FCs,
who stocks what, lane lookups. `simulate` then pushes all items through as arrays: candidate
choice by stock, fallback, packages per (order, FC), paths per distinct (via rule, FC, station),
lane loads, trucks and fill, and the KPIs per region and in total. No Python loop runs over
orders or items.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from rollout.domain.assignment import NO_REGION, Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.demand import Orders, catalog_size, generate_orders
from rollout.domain.network import NetworkIndex
from rollout.domain.paths import (
    LaneLookup,
    PathTable,
    last_mile,
    resolve_paths,
    via_hops,
    zone_via_rule,
)
from rollout.domain.routing import ZoneRouter
from rollout.domain.stock import StockTable, stock_table

KPI_NAMES = (
    "orders",
    "packages",
    "in_region_pct",
    "active_lanes",
    "trucks",
    "fill_pct",
    "avg_km",
    "avg_hours",
    "cross_region_packages",
    "unfulfilled_items",
)
#: KPIs that are whole counts (the rest are percentages or averages).
COUNT_KPIS = frozenset({"orders", "packages", "active_lanes", "trucks", "cross_region_packages",
                        "unfulfilled_items"})
PERCENT_KPIS = frozenset({"in_region_pct", "fill_pct"})

Kpis = dict[str, float | int]


@dataclass
class SimulationResult:
    total: Kpis
    regions: dict[str, Kpis]
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, object]:
        return {"total": self.total, "regions": self.regions}


@dataclass
class PreparedNetwork:
    """Everything about a bundle the simulator needs, computed once per bundle."""

    bundle: Bundle
    net: NetworkIndex
    assignment: Assignment
    router: ZoneRouter
    stock: StockTable
    lanes: LaneLookup

    @cached_property
    def candidates(self) -> np.ndarray:
        """[zones, K] candidate FC positions in order, padded with -1."""
        return self.router.candidate_matrix()

    @cached_property
    def via_hops(self) -> dict[int, list[int] | None]:
        return via_hops(self.net, self.bundle.routing.routes)

    @cached_property
    def zone_via_rule(self) -> np.ndarray:
        """Per zone: its rule's index when that rule has `via`, else -1."""
        return zone_via_rule(self.assignment.zone_rule, self.bundle.routing.routes)

    @cached_property
    def last_mile(self) -> tuple[np.ndarray, np.ndarray]:
        """(km, hours) from each zone's station to the zone: great-circle x 1.2 at 65 km/h."""
        return last_mile(self.net)

    @cached_property
    def reach(self) -> tuple[np.ndarray, np.ndarray]:
        """(FC position -> row or -1, reachability [FC row, facility]) for fallback choices."""
        fcs = self.net.fc_positions
        row = np.full(self.net.n_facilities, -1, dtype=np.int64)
        row[fcs] = np.arange(len(fcs))
        return row, self.net.reachable_from(fcs)


def prepare(bundle: Bundle) -> PreparedNetwork:
    net = NetworkIndex(bundle.network)
    assignment = Assignment(bundle, net)
    return PreparedNetwork(
        bundle=bundle, net=net, assignment=assignment, router=ZoneRouter(assignment),
        stock=stock_table(bundle.network.facilities, catalog_size(bundle)),
        lanes=LaneLookup.build(net),
    )


def simulate(
    bundle: Bundle | PreparedNetwork, orders: Orders | None = None
) -> SimulationResult:
    """KPIs per region and in total for one day of orders (generated when not given)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    prepared = bundle if isinstance(bundle, PreparedNetwork) else prepare(bundle)
    _ = prepared.candidates, prepared.zone_via_rule, prepared.last_mile
    timings["prepare"] = time.perf_counter() - started
    if orders is None:
        started = time.perf_counter()
        orders = generate_orders(prepared.bundle)
        timings["demand"] = time.perf_counter() - started
    started = time.perf_counter()
    flow = _Flow(prepared, orders)
    result = flow.kpis()
    timings["flow"] = time.perf_counter() - started
    result.timings = timings
    return result


class _Flow:
    """One simulation run: items -> FCs -> packages -> paths -> lanes -> KPIs."""

    def __init__(self, prepared: PreparedNetwork, orders: Orders) -> None:
        self.p = prepared
        self.orders = orders
        net = prepared.net
        self.item_zone = orders.order_zone[orders.item_order]
        self.item_band = prepared.stock.band_of(orders.item_sku)
        self.item_fc, self.from_candidate = self._choose_fcs()
        self._packages()
        self.paths = self._paths()
        self.zone_region = prepared.assignment.zone_region
        self.facility_region = prepared.assignment.facility_region
        self.n_regions = len(prepared.assignment.region_codes)
        self.n_lanes = len(net.lane_from)

    def _choose_fcs(self) -> tuple[np.ndarray, np.ndarray]:
        """Each item's FC: the first candidate that stocks its SKU, else the fallback."""
        candidates, stocked = self.p.candidates, self.p.stock.stocked
        n_items = self.orders.n_items
        item_fc = np.full(n_items, -1, dtype=np.int64)
        pending = np.arange(n_items, dtype=np.int64)
        exhausted: list[np.ndarray] = []
        for column in range(candidates.shape[1]):
            if len(pending) == 0:
                break
            fc = candidates[self.item_zone[pending], column]
            has_candidate = fc >= 0
            takes = has_candidate & stocked[np.maximum(fc, 0), self.item_band[pending]]
            item_fc[pending[takes]] = fc[takes]
            exhausted.append(pending[~has_candidate])
            pending = pending[has_candidate & ~takes]
        exhausted.append(pending)
        from_candidate = item_fc >= 0
        rest = np.concatenate(exhausted)
        if len(rest) and self.p.bundle.routing.fallback == "nearest":
            item_fc[rest] = self._fallback(rest)
        return item_fc, from_candidate

    def _fallback(self, items: np.ndarray) -> np.ndarray:
        """Nearest FC (great circle to the zone, ties by id) that stocks the SKU and has a lane
        path to the zone's station; -1 (unfulfilled) when there is none."""
        net, stocked = self.p.net, self.p.stock.stocked
        _, reach = self.p.reach
        fcs = net.fc_positions
        keys = self.item_zone[items] * stocked.shape[1] + self.item_band[items]
        pairs, inverse = np.unique(keys, return_inverse=True)
        zones, bands = pairs // stocked.shape[1], pairs % stocked.shape[1]
        chosen = np.full(len(pairs), -1, dtype=np.int64)
        stations = net.zone_station[zones]
        step = 4096  # bounds the [FCs x pairs] matrices
        for start in range(0, len(pairs), step):
            part = slice(start, start + step)
            eligible = stocked[fcs][:, bands[part]] & (reach[:, np.maximum(stations[part], 0)]
                                                       & (stations[part] >= 0))
            distance = net.zone_distance_km(fcs, zones[part])
            distance = np.where(eligible, distance, np.inf)
            best = np.argmin(distance, axis=0)  # fcs sorted by id: the first minimum wins
            found = np.isfinite(distance[best, np.arange(len(best))])
            chosen[part] = np.where(found, fcs[best], -1)
        return chosen[inverse.reshape(-1)]

    def _packages(self) -> None:
        """Items of one order shipping from one FC form one package."""
        n_fac = self.p.net.n_facilities
        fulfilled = np.flatnonzero(self.item_fc >= 0)
        keys = self.orders.item_order[fulfilled] * n_fac + self.item_fc[fulfilled]
        package_keys, item_package = np.unique(keys, return_inverse=True)
        self.package_order = package_keys // n_fac
        self.package_fc = package_keys % n_fac
        via = np.zeros(len(package_keys), dtype=bool)
        via[item_package.reshape(-1)[self.from_candidate[fulfilled]]] = True
        self.package_via = via
        self.package_zone = self.orders.order_zone[self.package_order]
        self.item_package = np.full(len(self.item_fc), -1, dtype=np.int64)
        self.item_package[fulfilled] = item_package.reshape(-1)

    def _paths(self) -> PathTable:
        net, p = self.p.net, self.p
        station = net.zone_station[self.package_zone]
        via_rule = np.where(self.package_via, p.zone_via_rule[self.package_zone], -1)
        n = net.n_facilities
        keys = ((via_rule + 1) * n + self.package_fc) * n + np.maximum(station, 0)
        keys = np.where(station >= 0, keys, -1)
        unique_keys, self.package_path = np.unique(keys, return_inverse=True)
        self.package_path = self.package_path.reshape(-1)
        valid = unique_keys >= 0
        table_keys = np.where(valid, unique_keys, 0)
        # An unknown station (-1) makes the path broken: the package cannot arrive.
        return resolve_paths(net, p.lanes, p.via_hops, table_keys // (n * n) - 1,
                             (table_keys // n) % n, np.where(valid, table_keys % n, -1))

    def kpis(self) -> SimulationResult:
        net = self.p.net
        delivered = self.paths.ok[self.package_path]
        # A package without a path cannot arrive: its items count as unfulfilled.
        item_ok = self.item_package >= 0
        item_ok[item_ok] = delivered[self.item_package[item_ok]]
        package_count = np.bincount(self.package_path[delivered],
                                    minlength=len(self.paths.ok))
        lane_packages = np.bincount(self.paths.use_lane,
                                    weights=package_count[self.paths.use_path],
                                    minlength=self.n_lanes)
        capacity = net.lane_truck_capacity.astype(np.float64)
        trucks = np.ceil(lane_packages / capacity)
        active = lane_packages > 0
        lane_region = np.where(net.lane_to >= 0, self.facility_region[np.maximum(net.lane_to, 0)],
                               NO_REGION)

        last_km, last_hours = self.p.last_mile
        zone = self.package_zone[delivered]
        package_km = self.paths.km[self.package_path[delivered]] + last_km[zone]
        package_hours = self.paths.hours[self.package_path[delivered]] + last_hours[zone]
        package_region = self.zone_region[zone]
        fc_region = self.facility_region[self.package_fc[delivered]]
        cross = fc_region != package_region

        orders = self.orders
        order_region = self.zone_region[orders.order_zone]
        bad_items = ~item_ok
        order_bad = np.bincount(orders.item_order[bad_items], minlength=orders.n_orders) > 0
        order_cross = np.bincount(self.package_order[delivered][cross],
                                  minlength=orders.n_orders) > 0
        order_in_region = ~order_bad & ~order_cross & (order_region != NO_REGION)
        item_region = self.zone_region[self.item_zone]

        groups = _Groups(self.n_regions)
        per_region = {
            "orders": groups.count(order_region),
            "in_region": groups.count(order_region, order_in_region),
            "packages": groups.count(package_region),
            "km": groups.total(package_region, package_km),
            "hours": groups.total(package_region, package_hours),
            "cross": groups.count(package_region, cross),
            "unfulfilled": groups.count(item_region, bad_items),
            "lanes": groups.count(lane_region, active),
            "trucks": groups.total(lane_region, trucks),
            "lane_packages": groups.total(lane_region, lane_packages),
            "capacity": groups.total(lane_region, trucks * capacity),
        }
        regions = {code: _kpis({k: v[r] for k, v in per_region.items()})
                   for r, code in enumerate(self.p.assignment.region_codes)}
        total = _kpis({
            "orders": orders.n_orders,
            "in_region": int(order_in_region.sum()),
            "packages": int(delivered.sum()),
            "km": float(package_km.sum()),
            "hours": float(package_hours.sum()),
            "cross": int(cross.sum()),
            "unfulfilled": int(bad_items.sum()),
            "lanes": int(active.sum()),
            "trucks": float(trucks.sum()),
            "lane_packages": float(lane_packages.sum()),
            "capacity": float((trucks * capacity).sum()),
        })
        return SimulationResult(total=total, regions=regions)


class _Groups:
    """Sums per region with numpy; rows outside every region (-1) are left out."""

    def __init__(self, n_regions: int) -> None:
        self.n = n_regions

    def count(self, region: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        keep = region >= 0 if mask is None else (region >= 0) & mask
        return np.bincount(region[keep], minlength=self.n)

    def total(self, region: np.ndarray, values: np.ndarray) -> np.ndarray:
        keep = region >= 0
        return np.bincount(region[keep], weights=values[keep], minlength=self.n)


def _kpis(sums: dict[str, float | int | np.number]) -> Kpis:
    def ratio(numerator: float, denominator: float, scale: float = 1.0) -> float:
        return float(scale * numerator / denominator) if denominator else 0.0

    orders, packages = int(sums["orders"]), int(sums["packages"])
    return {
        "orders": orders,
        "packages": packages,
        "in_region_pct": ratio(float(sums["in_region"]), orders, 100.0),
        "active_lanes": int(sums["lanes"]),
        "trucks": round(float(sums["trucks"])),
        "fill_pct": ratio(float(sums["lane_packages"]), float(sums["capacity"]), 100.0),
        "avg_km": ratio(float(sums["km"]), packages),
        "avg_hours": ratio(float(sums["hours"]), packages),
        "cross_region_packages": int(sums["cross"]),
        "unfulfilled_items": int(sums["unfulfilled"]),
    }
