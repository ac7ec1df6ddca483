"""The order-flow simulator against DESIGN section 4 (a contract): every number here is worked
out by hand from the rules, in a comment next to the assertion.

Networks are built in code (`tests.domain.simnet`). Unless a test says otherwise, facilities and
zones sit at lat 0, lon 0 and lanes carry explicit km and hours, so the last mile is 0 km and a
package's km and hours are the sums of its lanes'. Where distances matter, points lie on the
equator, where one degree of longitude is 6371 x pi / 180 km of great circle (`road_km` adds the
x 1.2 road factor, `road_hours` divides that by 65 km/h).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from rollout.domain.demand import generate_orders, read_orders_csv
from rollout.domain.network import great_circle_km
from rollout.domain.simulate import KPI_NAMES, SimulationResult, simulate
from rollout.domain.validate import validate_files
from tests.domain.simnet import (
    SEED,
    Sections,
    build,
    ds,
    fc,
    lane,
    orders,
    region,
    road_hours,
    road_km,
    route,
    sc,
    seed_bundle,
    seed_files,
    zone,
)

REL = 1e-9


def approx(value: float) -> object:
    return pytest.approx(value, rel=REL, abs=1e-12)


def assert_kpis(
    actual: Mapping[str, float | int], expected: Mapping[str, float | int], label: str = "",
) -> None:
    """Every KPI named in `expected` equals it: integers exactly, floats to rel 1e-9."""
    got = {name: actual[name] for name in expected}
    want = {
        name: value if isinstance(value, int) else approx(value)
        for name, value in expected.items()
    }
    assert got == want, label


# ---------------------------------------------------------------------------------------------
# The seed example (DESIGN section 4): 10 FCs, 100 locations, 10,000 single-item orders


def seed_result(variant: str) -> SimulationResult:
    bundle = seed_bundle(variant)
    return simulate(bundle, read_orders_csv(SEED / "orders.csv", bundle))


@pytest.mark.parametrize("variant", ["national", "regional"])
def test_seed_example__either_version__validates_without_findings(variant: str) -> None:
    # Given / When
    report = validate_files(seed_files(variant))

    # Then
    assert [f.as_text() for f in report.findings] == []


def test_seed_example__generator__reproduces_the_committed_files() -> None:
    # Given examples/seed/make_seed.py, loaded as a module (examples/ is no package)
    spec = importlib.util.spec_from_file_location("make_seed", SEED / "make_seed.py")
    assert spec is not None and spec.loader is not None
    make_seed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_seed)

    # When / Then: what it would write is what is there
    for variant, national in (("national", True), ("regional", False)):
        folder = SEED / variant
        assert (folder / "network.yaml").read_text() == make_seed.network_yaml(national=national)
        assert (folder / "regions.yaml").read_text() == make_seed.regions_yaml()
        assert (folder / "routing.yaml").read_text() == make_seed.routing_yaml(national=national)
        assert (folder / "demand.yaml").read_text() == make_seed.demand_yaml()
    assert (SEED / "orders.csv").read_text() == make_seed.orders_csv()


def test_simulate__seed_national_csv__1000_lanes_of_10_packages_1000_trucks() -> None:
    # Given the national seed: FC-k alone stocks tenth k, every location orders 10 items from
    # each tenth, every FC has a direct lane to every station
    # When
    result = seed_result("national")

    # Then every (FC, station) lane carries 10 packages: 10 x 100 = 1,000 lanes, one truck each,
    # fill 100 x 10 / 2000 = 0.5%; only the own tenth ships in-region: 1,000 of 10,000 orders
    # (10%), and the other 9,000 packages cross a region boundary
    assert_kpis(result.total, {
        "orders": 10_000, "packages": 10_000, "active_lanes": 1_000, "trucks": 1_000,
        "fill_pct": 100 * 10 / 2000, "in_region_pct": 10.0, "cross_region_packages": 9_000,
        "unfulfilled_items": 0,
    })
    # and per region (lanes count for the region of their destination station): 10 stations x
    # 10 FCs = 100 lanes, 1,000 orders, 100 of them in-region, 900 cross-region packages
    assert sorted(result.regions) == [f"R{k}" for k in range(10)]
    for code, kpis in result.regions.items():
        assert_kpis(kpis, {
            "orders": 1_000, "packages": 1_000, "active_lanes": 100, "trucks": 100,
            "fill_pct": 0.5, "in_region_pct": 10.0, "cross_region_packages": 900,
            "unfulfilled_items": 0,
        }, code)


def test_simulate__seed_regional_csv__100_lanes_of_100_packages_100_trucks() -> None:
    # Given the regionalised seed: every FC stocks everything and serves its own region only
    # When
    result = seed_result("regional")

    # Then each location's 100 orders ride its own FC's lane: 100 lanes of 100 packages, one
    # truck each, fill 100 x 100 / 2000 = 5%, everything in-region
    assert_kpis(result.total, {
        "orders": 10_000, "packages": 10_000, "active_lanes": 100, "trucks": 100,
        "fill_pct": 100 * 100 / 2000, "in_region_pct": 100.0, "cross_region_packages": 0,
        "unfulfilled_items": 0,
    })
    for code, kpis in result.regions.items():
        assert_kpis(kpis, {
            "orders": 1_000, "packages": 1_000, "active_lanes": 10, "trucks": 10,
            "fill_pct": 5.0, "in_region_pct": 100.0, "cross_region_packages": 0,
            "unfulfilled_items": 0,
        }, code)


@pytest.mark.parametrize("variant", ["national", "regional"])
def test_simulate__seed_either_version__avg_km_and_hours_are_direct_lane_plus_last_mile(
    variant: str,
) -> None:
    # Given the seed, whose lanes all take the defaults (great-circle x 1.2, km / 65)
    bundle = seed_bundle(variant)
    net = bundle.network
    where = {f.id: (f.lat, f.lon) for f in net.facilities}

    def road(a: tuple[float, float], b: tuple[float, float]) -> float:
        return float(great_circle_km(a[0], a[1], b[0], b[1])) * 1.2

    # Nationally each zone gets 10 packages from each of the 10 FCs; regionalised, 100 from its
    # own FC (FC-k for zones "0k0".."0k9"). Every package: FC -> station lane + last mile.
    km: list[float] = []
    for z in net.zones:
        station, spot = where[z.station], (z.lat, z.lon)
        sources = range(10) if variant == "national" else [int(z.id) // 10]
        km.extend(road(where[f"FC-{k}"], station) + road(station, spot) for k in sources)
    expected_km = sum(km) / len(km)  # equal package counts per term, so a plain mean

    # When
    result = seed_result(variant)

    # Then
    assert result.total["avg_km"] == approx(expected_km)
    assert result.total["avg_hours"] == approx(expected_km / 65)


# ---------------------------------------------------------------------------------------------
# Packages: items of one order from the same FC form one package (rule 3)


def two_fc_network(**kwargs: Any) -> Sections:
    """FC-A stocks SKUs 0-9 (lane to DS-A: 100 km, 2 h), FC-B stocks 10-19 (300 km, 5 h);
    zone "001" sits at DS-A (last mile 0); one region A holds everything."""
    return dict(
        facilities=[fc("FC-A", stock=["0-9"]), fc("FC-B", stock=["10-19"]), ds("DS-A")],
        zones=[zone("001", "DS-A")],
        lanes=[lane("FC-A", "DS-A", km=100, hours=2), lane("FC-B", "DS-A", km=300, hours=5)],
        regions=[region("A", ["001"], ["FC-A", "FC-B", "DS-A"])],
        routes=[route("nearest", region="*")],
    ) | kwargs


def test_simulate__order_items_split_across_two_fcs__two_packages_one_per_lane() -> None:
    # Given one order of SKU 1 (only FC-A stocks it) and SKU 15 (only FC-B)
    bundle = build(**two_fc_network())

    # When
    result = simulate(bundle, orders(bundle, ("001", [1, 15])))

    # Then 2 packages, one on each lane: 2 lanes, 2 trucks, fill 100 x 2 / (2 x 2000) = 0.05%;
    # avg_km (100 + 300) / 2 = 200, avg_hours (2 + 5) / 2 = 3.5
    assert_kpis(result.total, {
        "orders": 1, "packages": 2, "active_lanes": 2, "trucks": 2, "fill_pct": 0.05,
        "avg_km": 200.0, "avg_hours": 3.5, "in_region_pct": 100.0, "cross_region_packages": 0,
        "unfulfilled_items": 0,
    })


def test_simulate__order_items_all_on_one_fc__one_package() -> None:
    # Given one order of SKUs 1, 2 and 3, all stocked by FC-A only
    bundle = build(**two_fc_network())

    # When
    result = simulate(bundle, orders(bundle, ("001", [1, 2, 3])))

    # Then one package on FC-A -> DS-A: 1 lane, 1 truck, fill 100 x 1 / 2000 = 0.05%, 100 km, 2 h
    assert_kpis(result.total, {
        "orders": 1, "packages": 1, "active_lanes": 1, "trucks": 1, "fill_pct": 0.05,
        "avg_km": 100.0, "avg_hours": 2.0, "unfulfilled_items": 0,
    })


def test_simulate__mixed_orders__packages_averaged_per_package_not_per_order() -> None:
    # Given order 1: SKUs 1, 2, 3 (one FC-A package); order 2: SKUs 4 and 15 (FC-A + FC-B)
    bundle = build(**two_fc_network())

    # When
    result = simulate(bundle, orders(bundle, ("001", [1, 2, 3]), ("001", [4, 15])))

    # Then 3 packages: 2 on FC-A's lane (100 km, 2 h), 1 on FC-B's (300 km, 5 h):
    # avg_km (100 + 100 + 300) / 3 = 166.67, avg_hours (2 + 2 + 5) / 3 = 3;
    # fill 100 x 3 / (2 trucks x 2000) = 0.075%
    assert_kpis(result.total, {
        "orders": 2, "packages": 3, "active_lanes": 2, "trucks": 2, "fill_pct": 0.075,
        "avg_km": 500 / 3, "avg_hours": 3.0,
    })


# ---------------------------------------------------------------------------------------------
# Candidates and stock (rules 1 and 2)


def candidates_network(routes: list[Sections]) -> Sections:
    """Zone "001" and its station DS-A at lon 0. FC-NEAR (lon 1) and FC-FAR (lon 3) stock
    everything; their lanes to DS-A are 10 km / 1 h and 30 km / 1 h, so km tells who shipped."""
    return dict(
        facilities=[fc("FC-FAR", lon=3), fc("FC-NEAR", lon=1), ds("DS-A")],
        zones=[zone("001", "DS-A")],
        lanes=[lane("FC-NEAR", "DS-A", km=10, hours=1), lane("FC-FAR", "DS-A", km=30, hours=1)],
        regions=[region("A", ["001"], ["FC-NEAR", "FC-FAR", "DS-A"])],
        routes=routes,
    )


@pytest.mark.parametrize(
    ("routes", "expected_km"),
    [
        # `nearest`: all FCs by great-circle distance to the zone: FC-NEAR (1 degree) first
        ([route("nearest", region="*")], 10.0),
        # an explicit list is taken as written, even when a later candidate is nearer
        ([route(["FC-FAR", "FC-NEAR"], region="*")], 30.0),
        # later rules override earlier ones for the same zone
        ([route("nearest", region="*"), route(["FC-FAR"], zones=["001"])], 30.0),
        ([route(["FC-FAR"], zones=["001"]), route("nearest_in_region", region="A")], 10.0),
    ],
    ids=["nearest", "explicit-order", "zone-rule-overrides", "later-region-rule-overrides"],
)
def test_simulate__candidates__item_ships_from_first_candidate_that_stocks_it(
    routes: list[Sections], expected_km: float,
) -> None:
    # Given both FCs stock the item
    bundle = build(**candidates_network(routes))

    # When
    result = simulate(bundle, orders(bundle, ("001", [5])))

    # Then the first candidate ships, seen by the lane it uses
    assert_kpis(result.total, {"packages": 1, "active_lanes": 1, "avg_km": expected_km})


def test_simulate__nearest_with_equidistant_fcs__smaller_facility_id_ships() -> None:
    # Given FC-C (listed first) and FC-B lie 2 degrees west and east of the zone: a tie
    bundle = build(
        facilities=[fc("FC-C", lon=-2), fc("FC-B", lon=2), ds("DS-A")],
        zones=[zone("001", "DS-A")],
        lanes=[lane("FC-B", "DS-A", km=20, hours=1), lane("FC-C", "DS-A", km=40, hours=1)],
        regions=[region("A", ["001"], ["FC-B", "FC-C", "DS-A"])],
        routes=[route("nearest", region="*")],
    )

    # When
    result = simulate(bundle, orders(bundle, ("001", [5])))

    # Then ties are broken by facility id: FC-B ships (its lane is the 20 km one)
    assert_kpis(result.total, {"packages": 1, "active_lanes": 1, "avg_km": 20.0})


def test_simulate__nearest_in_region__own_region_fc_ships_though_another_is_nearer() -> None:
    # Given zone "001" in region A; FC-B (region B) is 0.1 degree away, FC-A (region A) 2 degrees
    bundle = build(
        facilities=[fc("FC-A", lon=2), fc("FC-B", lon=0.1), ds("DS-A"), ds("DS-B", lon=0.1)],
        zones=[zone("001", "DS-A"), zone("002", "DS-B", lon=0.1)],
        lanes=[lane("FC-A", "DS-A", km=200, hours=3), lane("FC-B", "DS-A", km=10, hours=1),
               lane("FC-B", "DS-B", km=1, hours=1)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"]), region("B", ["002"], ["FC-B", "DS-B"])],
        routes=[route("nearest", region="*"), route("nearest_in_region", region="A")],
    )

    # When
    result = simulate(bundle, orders(bundle, ("001", [5])))

    # Then FC-A ships (200 km lane), in-region
    assert_kpis(result.regions["A"], {
        "packages": 1, "active_lanes": 1, "avg_km": 200.0, "in_region_pct": 100.0,
        "cross_region_packages": 0,
    })


def test_simulate__nearest_in_region_first_fc_lacks_the_sku__next_in_region_fc_ships() -> None:
    # Given region A's FCs: FC-A1 (0.5 degree, SKUs 0-9) and FC-A2 (2 degrees, everything);
    # FC-B (region B, 0.1 degree, everything) is nearer than both
    bundle = build(
        facilities=[fc("FC-A1", lon=0.5, stock=["0-9"]), fc("FC-A2", lon=2), fc("FC-B", lon=0.1),
                    ds("DS-A"), ds("DS-B", lon=0.1)],
        zones=[zone("001", "DS-A"), zone("002", "DS-B", lon=0.1)],
        lanes=[lane("FC-A1", "DS-A", km=50, hours=1), lane("FC-A2", "DS-A", km=200, hours=3),
               lane("FC-B", "DS-A", km=10, hours=1), lane("FC-B", "DS-B", km=1, hours=1)],
        regions=[region("A", ["001"], ["FC-A1", "FC-A2", "DS-A"]),
                 region("B", ["002"], ["FC-B", "DS-B"])],
        routes=[route("nearest_in_region", region="*")],
    )

    # When SKU 50 (not at FC-A1) is ordered
    result = simulate(bundle, orders(bundle, ("001", [50])))

    # Then the second candidate FC-A2 ships (200 km), not the nearer FC-B: a candidate that
    # stocks the item comes before any fallback
    assert_kpis(result.regions["A"], {
        "packages": 1, "avg_km": 200.0, "in_region_pct": 100.0, "cross_region_packages": 0,
    })


def stock_network(stock: object, demand: Sections | None) -> Sections:
    """FC-A (the only candidate, lane 10 km) stocks `stock`; FC-B stocks everything and is
    reached by fallback only (lane 70 km): a package's km says which FC shipped it."""
    return dict(
        facilities=[fc("FC-A", stock=stock), fc("FC-B", lon=1), ds("DS-A")],
        zones=[zone("001", "DS-A")],
        lanes=[lane("FC-A", "DS-A", km=10, hours=1), lane("FC-B", "DS-A", km=70, hours=1)],
        regions=[region("A", ["001"], ["FC-A", "FC-B", "DS-A"])],
        routes=[route(["FC-A"], region="*")],
        demand=demand,
    )


@pytest.mark.parametrize(
    ("stock", "demand", "sku", "expected_km"),
    [
        # "top P%": SKU k stocked iff k < P x catalog / 100; catalog 1000 -> k < 100
        ("top 10%", {"catalog": 1000}, 99, 10.0),
        ("top 10%", {"catalog": 1000}, 100, 70.0),
        # no demand.yaml: catalog 100000 -> k < 10000
        ("top 10%", None, 9_999, 10.0),
        ("top 10%", None, 10_000, 70.0),
        # fractional: 0.5 x 1000 / 100 = 5 -> k < 5
        ("top 0.5%", {"catalog": 1000}, 4, 10.0),
        ("top 0.5%", {"catalog": 1000}, 5, 70.0),
        # exact decimal arithmetic: 16.1 x 1000 / 100 = 161 -> k < 161 (in binary floating
        # point 16.1 x 1000 / 100 = 161.00000000000003, which must not stock SKU 161)
        ("top 16.1%", {"catalog": 1000}, 160, 10.0),
        ("top 16.1%", {"catalog": 1000}, 161, 70.0),
        # 0.07 x 10000 / 100 = 7 -> k < 7
        ("top 0.07%", {"catalog": 10000}, 6, 10.0),
        ("top 0.07%", {"catalog": 10000}, 7, 70.0),
        # inclusive ranges and single SKUs
        (["0-9", "20"], None, 9, 10.0),
        (["0-9", "20"], None, 10, 70.0),
        (["0-9", "20"], None, 20, 10.0),
        (["0-9", "20"], None, 21, 70.0),
        ("all", {"catalog": 1000}, 999, 10.0),
    ],
)
def test_simulate__stock_spec__decides_whether_the_candidate_ships(
    stock: object, demand: Sections | None, sku: int, expected_km: float,
) -> None:
    # Given
    bundle = build(**stock_network(stock, demand))

    # When
    result = simulate(bundle, orders(bundle, ("001", [sku])))

    # Then FC-A ships iff it stocks the SKU (10 km), otherwise the fallback FC-B (70 km)
    assert_kpis(result.total, {"packages": 1, "avg_km": expected_km, "unfulfilled_items": 0})


# ---------------------------------------------------------------------------------------------
# Fallback (rule 2)


def fallback_network(fallback: str | None) -> Sections:
    """Region A: zone "001" at DS-A (lon 0) and FC-A (lon 0.5, stocks SKUs 0-9, the zone's only
    candidate). Region B: zone "002", DS-B, and FC-B (lon 3) and FC-C (lon -2), which stock
    everything. Lanes to DS-A: FC-A 50 km / 1 h, FC-B 333 km / 0.5 h, FC-C 222 km / 4 h."""
    return dict(
        facilities=[fc("FC-A", lon=0.5, stock=["0-9"]), fc("FC-B", lon=3), fc("FC-C", lon=-2),
                    ds("DS-A"), ds("DS-B", lon=5)],
        zones=[zone("001", "DS-A"), zone("002", "DS-B", lon=5)],
        lanes=[lane("FC-A", "DS-A", km=50, hours=1), lane("FC-B", "DS-A", km=333, hours=0.5),
               lane("FC-C", "DS-A", km=222, hours=4), lane("FC-B", "DS-B", km=10, hours=1)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"]),
                 region("B", ["002"], ["FC-B", "FC-C", "DS-B"])],
        routes=[route(["FC-A"], region="A"), route("nearest_in_region", region="B")],
        fallback=fallback,
    )


@pytest.mark.parametrize("fallback", [None, "nearest"])
def test_simulate__fallback_nearest__unstocked_item_ships_from_nearest_stocking_fc(
    fallback: str | None,
) -> None:
    # Given SKU 50, which FC-A (the only candidate) does not stock; fallback nearest (default)
    bundle = build(**fallback_network(fallback))

    # When
    result = simulate(bundle, orders(bundle, ("001", [50])))

    # Then the nearest FC that stocks it by great circle ships: FC-C (2 degrees) beats FC-B
    # (3 degrees) although FC-B's lane is faster; FC-C is in region B: a cross-region package
    # and the order is not in-region
    assert_kpis(result.regions["A"], {
        "orders": 1, "packages": 1, "active_lanes": 1, "trucks": 1, "avg_km": 222.0,
        "avg_hours": 4.0, "in_region_pct": 0.0, "cross_region_packages": 1,
        "unfulfilled_items": 0,
    })


def test_simulate__fallback_nearest_with_equidistant_fcs__smaller_facility_id_ships() -> None:
    # Given FC-C moved to lon -3: FC-B and FC-C are both 3 degrees from the zone
    data = fallback_network("nearest")
    data["facilities"] = [fc("FC-A", lon=0.5, stock=["0-9"]), fc("FC-C", lon=-3),
                          fc("FC-B", lon=3), ds("DS-A"), ds("DS-B", lon=5)]
    bundle = build(**data)

    # When
    result = simulate(bundle, orders(bundle, ("001", [50])))

    # Then the tie goes to the smaller id, FC-B (333 km lane)
    assert_kpis(result.total, {"packages": 1, "avg_km": 333.0})


def test_simulate__fallback_nearest_fc_without_a_lane_path__next_nearest_ships() -> None:
    # Given FC-C (the nearest stocking FC) has no lane to DS-A  (the lead's reading: "nearest"
    # means the nearest FC that stocks the SKU and can reach the zone's station)
    data = fallback_network("nearest")
    data["lanes"] = [lane("FC-A", "DS-A", km=50, hours=1), lane("FC-B", "DS-A", km=333, hours=0.5),
                     lane("FC-B", "DS-B", km=10, hours=1)]
    bundle = build(**data)

    # When
    result = simulate(bundle, orders(bundle, ("001", [50])))

    # Then FC-B ships
    assert_kpis(result.total, {"packages": 1, "avg_km": 333.0, "unfulfilled_items": 0})


def test_simulate__fallback_none__unstocked_items_unfulfilled_and_order_not_in_region() -> None:
    # Given fallback none and three orders: [1, 50] (SKU 50 is not stocked by FC-A), [2]
    # (in stock) and [60, 61, 62] (nothing in stock)
    bundle = build(**fallback_network("none"))

    # When
    result = simulate(bundle, orders(bundle, ("001", [1, 50]), ("001", [2]), ("001", [60, 61, 62])))

    # Then SKUs 50, 60, 61, 62 are unfulfilled (4 items); packages: SKU 1 and SKU 2, both on
    # FC-A -> DS-A (one truck, 50 km, 1 h each); only order [2] is in-region: 100 x 1/3 %;
    # an unfulfilled item is not a cross-region package
    assert_kpis(result.regions["A"], {
        "orders": 3, "packages": 2, "active_lanes": 1, "trucks": 1, "fill_pct": 100 * 2 / 2000,
        "avg_km": 50.0, "avg_hours": 1.0, "in_region_pct": 100 / 3,
        "cross_region_packages": 0, "unfulfilled_items": 4,
    })
    assert_kpis(result.total, {"orders": 3, "packages": 2, "unfulfilled_items": 4})


def test_simulate__fallback_nearest_and_no_fc_stocks_the_sku__item_unfulfilled() -> None:
    # Given FC-A stocks SKUs 0-9 and FC-B SKUs 10-19: nobody stocks SKU 50
    bundle = build(**two_fc_network(fallback="nearest"))

    # When orders [50] and [1, 50] ship
    result = simulate(bundle, orders(bundle, ("001", [50]), ("001", [1, 50])))

    # Then both SKU 50 items are unfulfilled; SKU 1 ships (one package); neither order is
    # in-region (each has an unfulfilled item)
    assert_kpis(result.total, {
        "orders": 2, "packages": 1, "unfulfilled_items": 2, "in_region_pct": 0.0,
        "active_lanes": 1, "avg_km": 100.0,
    })


def test_simulate__order_partly_from_another_region__not_in_region() -> None:
    # Given fallback nearest; order [1, 50]: SKU 1 from FC-A (region A), SKU 50 from FC-C
    # (region B); order [3]: FC-A only
    bundle = build(**fallback_network("nearest"))

    # When
    result = simulate(bundle, orders(bundle, ("001", [1, 50]), ("001", [3])))

    # Then 3 packages (2 on FC-A's lane, 1 on FC-C's), 1 of them cross-region; only order [3]
    # ships entirely from region A: in_region_pct 50; avg_km (50 + 222 + 50) / 3
    assert_kpis(result.total, {
        "orders": 2, "packages": 3, "active_lanes": 2, "trucks": 2, "in_region_pct": 50.0,
        "cross_region_packages": 1, "avg_km": 322 / 3, "avg_hours": (1 + 4 + 1) / 3,
    })


# ---------------------------------------------------------------------------------------------
# Paths (rule 4) and distances


def via_network(*, last_mile_degrees: float = 1.0) -> Sections:
    """FC-A -> SC-1 (80 km, 2 h) -> SC-2 (30 km, 0.5 h) -> DS-A (40 km, 1.5 h), and a faster
    direct FC-A -> DS-A (50 km, 1 h). Zone "001" lies `last_mile_degrees` east of DS-A."""
    return dict(
        facilities=[fc("FC-A", lon=-2), sc("SC-1", lon=-1.5), sc("SC-2", lon=-1), ds("DS-A")],
        zones=[zone("001", "DS-A", lon=last_mile_degrees)],
        lanes=[lane("FC-A", "SC-1", km=80, hours=2), lane("SC-1", "SC-2", km=30, hours=0.5),
               lane("SC-2", "DS-A", km=40, hours=1.5), lane("FC-A", "DS-A", km=50, hours=1)],
        regions=[region("A", ["001"], ["FC-A", "SC-1", "SC-2", "DS-A"])],
    )


def test_simulate__route_with_via__every_hop_is_a_lane_use_and_km_add_up() -> None:
    # Given a route through SC-1 and SC-2 although the direct lane is faster
    bundle = build(**via_network(), routes=[route(["FC-A"], region="A", via=["SC-1", "SC-2"])])

    # When two single-item orders ship
    result = simulate(bundle, orders(bundle, ("001", [1]), ("001", [2])))

    # Then each package uses FC-A->SC-1, SC-1->SC-2, SC-2->DS-A: 3 lanes of 2 packages, 3 trucks,
    # fill 100 x 6 / (3 x 2000) = 0.1%; km 80 + 30 + 40 + last mile (1 degree of great circle
    # x 1.2 = 133.43 km); hours 2 + 0.5 + 1.5 + 133.43 / 65
    assert_kpis(result.total, {
        "packages": 2, "active_lanes": 3, "trucks": 3, "fill_pct": 0.1,
        "avg_km": 150 + road_km(1), "avg_hours": 4 + road_hours(1),
    })


def test_simulate__route_without_via__fastest_path_is_the_direct_lane() -> None:
    # Given the same network routed without via: the direct lane (1 h) beats 2 + 0.5 + 1.5 h
    bundle = build(**via_network(), routes=[route(["FC-A"], region="A")])

    # When
    result = simulate(bundle, orders(bundle, ("001", [1]), ("001", [2])))

    # Then both packages take FC-A -> DS-A: 1 lane, 1 truck; km 50 + 133.43, hours 1 + 2.05
    assert_kpis(result.total, {
        "packages": 2, "active_lanes": 1, "trucks": 1, "fill_pct": 0.1,
        "avg_km": 50 + road_km(1), "avg_hours": 1 + road_hours(1),
    })


def test_simulate__two_multi_hop_paths__the_faster_by_hours_wins_though_longer_in_km() -> None:
    # Given FC-A -> SC-1 -> DS-A: 100 + 100 km, 3 + 3 = 6 h; FC-A -> SC-2 -> DS-A: 300 + 300 km,
    # 1 + 2 = 3 h; and a slow direct lane (50 km, 10 h)
    bundle = build(
        facilities=[fc("FC-A"), sc("SC-1"), sc("SC-2"), ds("DS-A")],
        zones=[zone("001", "DS-A")],
        lanes=[lane("FC-A", "SC-1", km=100, hours=3), lane("SC-1", "DS-A", km=100, hours=3),
               lane("FC-A", "SC-2", km=300, hours=1), lane("SC-2", "DS-A", km=300, hours=2),
               lane("FC-A", "DS-A", km=50, hours=10)],
        regions=[region("A", ["001"], ["FC-A", "SC-1", "SC-2", "DS-A"])],
        routes=[route("nearest", region="*")],
    )

    # When
    result = simulate(bundle, orders(bundle, ("001", [1])))

    # Then the package rides SC-2's path: 2 lanes, 600 km, 3 h
    assert_kpis(result.total, {"packages": 1, "active_lanes": 2, "trucks": 2,
                               "avg_km": 600.0, "avg_hours": 3.0})


def test_simulate__fallback_package_on_a_via_route__takes_the_fastest_path() -> None:
    # Given a route FC-A via SC-1; FC-A stocks SKUs 0-9 only; FC-B (fallback) has a direct lane
    # to DS-A and none to SC-1  (the lead's reading: `via` applies to the route's candidates)
    bundle = build(
        facilities=[fc("FC-A", stock=["0-9"]), fc("FC-B", lon=1), sc("SC-1"), ds("DS-A")],
        zones=[zone("001", "DS-A")],
        lanes=[lane("FC-A", "SC-1", km=10, hours=1), lane("SC-1", "DS-A", km=20, hours=1),
               lane("FC-B", "DS-A", km=70, hours=2)],
        regions=[region("A", ["001"], ["FC-A", "FC-B", "SC-1", "DS-A"])],
        routes=[route(["FC-A"], region="A", via=["SC-1"])],
    )

    # When SKU 1 (FC-A) and SKU 50 (FC-B only) are ordered together
    result = simulate(bundle, orders(bundle, ("001", [1, 50])))

    # Then 2 packages: FC-A -> SC-1 -> DS-A (30 km, 2 h) and FC-B -> DS-A (70 km, 2 h):
    # 3 lanes, avg_km 50, avg_hours 2
    assert_kpis(result.total, {
        "packages": 2, "active_lanes": 3, "trucks": 3, "avg_km": 50.0, "avg_hours": 2.0,
        "unfulfilled_items": 0,
    })


def test_simulate__default_lane_km_and_hours__great_circle_times_1_2_at_65_kmh() -> None:
    # Given lanes without km or hours, on the equator: FC-A (lon 0, SKUs 0-9) and FC-B (lon 3,
    # SKUs 10-19) to DS-A (lon 1); zone "001" half a degree east of DS-A
    bundle = build(
        facilities=[fc("FC-A", stock=["0-9"]), fc("FC-B", lon=3, stock=["10-19"]),
                    ds("DS-A", lon=1)],
        zones=[zone("001", "DS-A", lon=1.5)],
        lanes=[lane("FC-A", "DS-A"), lane("FC-B", "DS-A")],
        regions=[region("A", ["001"], ["FC-A", "FC-B", "DS-A"])],
        routes=[route("nearest", region="*")],
    )

    # When one order of SKU 1 and SKU 15 ships as two packages
    result = simulate(bundle, orders(bundle, ("001", [1, 15])))

    # Then package A: 1 degree of lane + 0.5 degree of last mile; package B: 2 degrees + 0.5:
    # avg (1.5 + 2.5) / 2 = 2 degrees of great circle x 1.2 km (= 266.87 km), hours = km / 65
    assert_kpis(result.total, {
        "packages": 2, "avg_km": road_km(2.0), "avg_hours": road_hours(2.0),
    })
    assert result.total["avg_km"] == approx(2 * 6371.0 * math.pi / 180 * 1.2)


def test_simulate__lane_with_km_but_no_hours__hours_are_km_over_65() -> None:
    # Given a lane of 130 km without hours; the zone at its station
    bundle = build(
        facilities=[fc("FC-A"), ds("DS-A")], zones=[zone("001", "DS-A")],
        lanes=[lane("FC-A", "DS-A", km=130)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"])], routes=[route("nearest", region="*")],
    )

    # When
    result = simulate(bundle, orders(bundle, ("001", [1])))

    # Then 130 km, 130 / 65 = 2 h
    assert_kpis(result.total, {"avg_km": 130.0, "avg_hours": 2.0})


# ---------------------------------------------------------------------------------------------
# Regions: which region a lane, a package, an order counts for (rule 6)


def test_simulate__package_from_another_region__lanes_count_for_their_destination_region() -> None:
    # Given zone "001" (region A) served by FC-B via SC-B (both region B): FC-B -> SC-B -> DS-A
    bundle = build(
        facilities=[fc("FC-A"), fc("FC-B"), sc("SC-B"), ds("DS-A"), ds("DS-B")],
        zones=[zone("001", "DS-A"), zone("002", "DS-B")],
        lanes=[lane("FC-B", "SC-B", km=100, hours=2), lane("SC-B", "DS-A", km=20, hours=1),
               lane("FC-A", "DS-A", km=5, hours=1), lane("FC-B", "DS-B", km=5, hours=1)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"]),
                 region("B", ["002"], ["FC-B", "SC-B", "DS-B"])],
        routes=[route("nearest_in_region", region="*"), route(["FC-B"], zones=["001"],
                                                              via=["SC-B"])],
    )

    # When three single-item orders from zone "001" ship
    result = simulate(bundle, orders(bundle, ("001", [1]), ("001", [2]), ("001", [3])))

    # Then orders and packages count for region A (the zone's region), all 3 cross-region;
    # the lane SC-B -> DS-A counts for A, the lane FC-B -> SC-B for B (its destination's region):
    # each carries 3 packages, 1 truck, fill 100 x 3 / 2000 = 0.15%
    assert_kpis(result.regions["A"], {
        "orders": 3, "packages": 3, "in_region_pct": 0.0, "cross_region_packages": 3,
        "active_lanes": 1, "trucks": 1, "fill_pct": 0.15, "avg_km": 120.0, "avg_hours": 3.0,
    })
    assert_kpis(result.regions["B"], {
        "orders": 0, "packages": 0, "in_region_pct": 0.0, "cross_region_packages": 0,
        "active_lanes": 1, "trucks": 1, "fill_pct": 0.15, "avg_km": 0.0, "avg_hours": 0.0,
    })
    assert_kpis(result.total, {
        "orders": 3, "packages": 3, "cross_region_packages": 3, "active_lanes": 2, "trucks": 2,
        "fill_pct": 0.15,
    })


def test_simulate__lane_into_a_facility_no_region_lists__counts_in_the_total_only() -> None:
    # Given FC-A -> HUB -> DS-A, HUB (a shared sort centre) listed by no region
    bundle = build(
        facilities=[fc("FC-A"), sc("HUB"), ds("DS-A")],
        zones=[zone("001", "DS-A")],
        lanes=[lane("FC-A", "HUB", km=60, hours=1, truck_capacity=1000),
               lane("HUB", "DS-A", km=40, hours=1)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"])],
        routes=[route(["FC-A"], region="A", via=["HUB"])],
    )

    # When two orders ship
    result = simulate(bundle, orders(bundle, ("001", [1]), ("001", [2])))

    # Then region A counts only HUB -> DS-A: 1 lane, 1 truck, fill 100 x 2 / 2000 = 0.1%;
    # the total counts both: 2 lanes, 2 trucks, fill 100 x 4 / (1000 + 2000) = 0.1333%;
    # the package still travels 100 km and ships from region A's FC (in-region)
    assert_kpis(result.regions["A"], {
        "active_lanes": 1, "trucks": 1, "fill_pct": 0.1, "packages": 2, "avg_km": 100.0,
        "in_region_pct": 100.0, "cross_region_packages": 0,
    })
    assert_kpis(result.total, {
        "active_lanes": 2, "trucks": 2, "fill_pct": 100 * 4 / 3000, "packages": 2,
        "avg_km": 100.0,
    })


def test_simulate__fc_in_no_region__its_packages_are_cross_region() -> None:
    # Given zone "001" (region A) routed to FC-X, an FC that no region lists
    bundle = build(
        facilities=[fc("FC-A"), fc("FC-X"), ds("DS-A")],
        zones=[zone("001", "DS-A")],
        lanes=[lane("FC-A", "DS-A", km=5, hours=1), lane("FC-X", "DS-A", km=50, hours=1)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"])],
        routes=[route(["FC-X"], region="A")],
    )

    # When
    result = simulate(bundle, orders(bundle, ("001", [1])))

    # Then FC-X is outside every order's region: cross-region, not in-region; the lane into
    # DS-A still counts for A
    assert_kpis(result.regions["A"], {
        "packages": 1, "cross_region_packages": 1, "in_region_pct": 0.0, "active_lanes": 1,
        "avg_km": 50.0,
    })


# ---------------------------------------------------------------------------------------------
# Trucks and fill (rule 5)


@pytest.mark.parametrize(
    ("packages", "trucks"),
    [(1, 1), (2, 1), (3, 1), (4, 2), (6, 2), (7, 3)],
)
def test_simulate__lane_with_truck_capacity_3__trucks_are_ceil_of_packages_over_3(
    packages: int, trucks: int,
) -> None:
    # Given a lane whose trucks take 3 packages
    bundle = build(
        facilities=[fc("FC-A"), ds("DS-A")], zones=[zone("001", "DS-A")],
        lanes=[lane("FC-A", "DS-A", km=10, hours=1, truck_capacity=3)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"])], routes=[route("nearest", region="*")],
    )

    # When `packages` single-item orders ship
    result = simulate(bundle, orders(bundle, *[("001", [k]) for k in range(packages)]))

    # Then trucks = ceil(packages / 3), fill = 100 x packages / (trucks x 3)
    assert_kpis(result.total, {
        "packages": packages, "active_lanes": 1, "trucks": trucks,
        "fill_pct": 100 * packages / (trucks * 3),
    })


def test_simulate__lanes_of_different_capacities__fill_sums_packages_over_truck_space() -> None:
    # Given FC-A -> DS-A with trucks of 3 (SKUs 0-9) and FC-B -> DS-A with trucks of 2000
    # (SKUs 10-19)
    bundle = build(**two_fc_network(lanes=[
        lane("FC-A", "DS-A", km=100, hours=2, truck_capacity=3),
        lane("FC-B", "DS-A", km=300, hours=5),
    ]))

    # When four orders of SKU 1 and four of SKU 15 ship
    result = simulate(bundle, orders(bundle, *[("001", [1])] * 4, *[("001", [15])] * 4))

    # Then FC-A's lane needs ceil(4 / 3) = 2 trucks, FC-B's 1: 3 trucks;
    # fill 100 x (4 + 4) / (2 x 3 + 1 x 2000) = 800 / 2006 = 39.88% (not a mean of percentages)
    assert_kpis(result.total, {
        "packages": 8, "active_lanes": 2, "trucks": 3, "fill_pct": 800 / 2006,
    })


# ---------------------------------------------------------------------------------------------
# The result's shape and empty denominators


def test_simulate__region_without_orders_or_lanes__every_kpi_present_and_zero() -> None:
    # Given region B (zone "002", FC-B, DS-B) that no order and no lane touches
    bundle = build(
        facilities=[fc("FC-A"), fc("FC-B"), ds("DS-A"), ds("DS-B")],
        zones=[zone("001", "DS-A"), zone("002", "DS-B")],
        lanes=[lane("FC-A", "DS-A", km=10, hours=1), lane("FC-B", "DS-B", km=10, hours=1)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"]), region("B", ["002"], ["FC-B", "DS-B"])],
        routes=[route("nearest_in_region", region="*")],
    )

    # When
    result = simulate(bundle, orders(bundle, ("001", [1])))

    # Then B is present with every KPI and zero where the denominator is zero
    assert set(result.regions) == {"A", "B"}
    assert result.regions["B"] == {name: 0 for name in KPI_NAMES}
    assert set(result.total) == set(KPI_NAMES)
    assert set(result.regions["A"]) == set(KPI_NAMES)


def test_simulate__no_orders_at_all__every_kpi_zero() -> None:
    # Given
    bundle = build(**two_fc_network())

    # When
    result = simulate(bundle, orders(bundle))

    # Then
    assert result.total == {name: 0 for name in KPI_NAMES}
    assert result.regions == {"A": {name: 0 for name in KPI_NAMES}}


def test_simulation_result__as_dict__total_and_regions_by_code() -> None:
    # Given
    bundle = build(**two_fc_network())
    result = simulate(bundle, orders(bundle, ("001", [1, 15])))

    # When
    data = result.as_dict()

    # Then
    assert data == {"total": result.total, "regions": {"A": result.regions["A"]}}
    assert list(result.total) == list(KPI_NAMES)


def test_simulate__without_orders__replays_generated_demand() -> None:
    # Given zones with demand and a demand.yaml
    bundle = build(**two_fc_network(
        zones=[zone("001", "DS-A", demand=300)],
        demand={"catalog": 20, "zipf": 1.1, "items_per_order": 1.6, "seed": 3},
    ))

    # When
    implicit = simulate(bundle)
    explicit = simulate(bundle, generate_orders(bundle))

    # Then the same numbers, from exactly the zone's 300 orders; SKUs 0..19 are all stocked
    assert implicit.as_dict() == explicit.as_dict()
    assert implicit.total["orders"] == 300
    assert implicit.total["unfulfilled_items"] == 0


def test_simulate__orders_from_every_region__regions_add_up_to_the_total() -> None:
    # Given the national seed with its CSV (lanes all end at stations that regions list)
    result = seed_result("national")

    # Then the additive KPIs of the regions sum to the total
    for name in ("orders", "packages", "active_lanes", "trucks", "cross_region_packages",
                 "unfulfilled_items"):
        assert sum(r[name] for r in result.regions.values()) == result.total[name], name
    assert np.isclose(
        sum(r["in_region_pct"] * r["orders"] for r in result.regions.values()) / 100,
        result.total["in_region_pct"] * result.total["orders"] / 100,
    )
