"""The one route semantics (rollout/domain/paths.py): lanes, via and fastest paths, broken paths.

Networks are built in code (`tests.domain.simnet`) with explicit km and hours on every lane, so a
path's km and hours are the sums of its lanes'. A broken path is the empty path: not ok, no
lanes, no facilities, NaN km and hours.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex
from rollout.domain.paths import (
    NO_LANE,
    NO_PATH,
    LaneLookup,
    PathTable,
    last_mile,
    resolve_paths,
    via_hops,
    zone_routes,
    zone_via_rule,
)
from rollout.domain.routing import ZoneRouter
from tests.domain.simnet import build, ds, fc, lane, region, road_km, route, sc, zone


def network(lanes: list[dict[str, Any]], routes: list[dict[str, Any]] | None = None,
            station: str = "DS-A") -> Bundle:
    """FC-A, FC-B, SC-1, SC-2, DS-A and zone 001 (station `station`), all in region A."""
    return build(
        facilities=[fc("FC-A"), fc("FC-B"), sc("SC-1"), sc("SC-2"), ds("DS-A", lon=1)],
        zones=[zone("001", station, lon=1)],
        lanes=lanes,
        regions=[region("A", ["001"], ["FC-A", "FC-B", "SC-1", "SC-2", "DS-A"])],
        routes=routes or [route(["FC-A"], region="A")],
    )


def resolve(bundle: Bundle, rows: list[tuple[int, str, str | None]]) -> tuple[NetworkIndex,
                                                                              PathTable]:
    """Paths for (via rule or -1, FC id, station id or None for an unknown station)."""
    net = NetworkIndex(bundle.network)
    where = net.facility_position
    return net, resolve_paths(
        net, LaneLookup.build(net), via_hops(net, bundle.routing.routes),
        np.array([rule for rule, _, _ in rows], dtype=np.int64),
        np.array([where[source] for _, source, _ in rows], dtype=np.int64),
        np.array([-1 if target is None else where[target] for _, _, target in rows],
                 dtype=np.int64))


def ids(net: NetworkIndex, table: PathTable) -> list[tuple[str, ...]]:
    return [tuple(net.facility_ids[f] for f in path) for path in table.positions]


# --- LaneLookup -----------------------------------------------------------------------------


def test_lane_lookup__duplicate_lanes__the_fastest_then_the_first_written() -> None:
    # Given three lanes FC-A -> DS-A (3 h, 2 h, 2 h) and one FC-B -> DS-A
    bundle = network([lane("FC-A", "DS-A", km=10, hours=3), lane("FC-A", "DS-A", km=20, hours=2),
                      lane("FC-A", "DS-A", km=30, hours=2), lane("FC-B", "DS-A", km=5, hours=1)])
    net = NetworkIndex(bundle.network)
    a, b, target = (net.facility_position[f] for f in ("FC-A", "FC-B", "DS-A"))

    # When the lanes into DS-A are looked up
    found = LaneLookup.build(net).find(np.array([a, b, target]), np.array([target, target, a]))

    # Then the 2 h lane written first wins for FC-A; DS-A -> FC-A has none
    assert found.tolist() == [1, 3, NO_LANE]


def test_lane_lookup__no_lanes__every_pair_missing() -> None:
    net = NetworkIndex(network([]).network)

    lanes = LaneLookup.build(net)

    assert lanes.find(np.array([0, 1]), np.array([4, 4])).tolist() == [NO_LANE, NO_LANE]
    assert not lanes.has(0, 4)


# --- resolve_paths --------------------------------------------------------------------------


def test_resolve_paths__via_hops_with_lanes__fc_hops_station_and_summed_lanes() -> None:
    bundle = network([lane("FC-A", "SC-1", km=10, hours=1), lane("SC-1", "DS-A", km=20, hours=2)],
                     [route(["FC-A"], region="A", via=["SC-1"])])

    net, table = resolve(bundle, [(0, "FC-A", "DS-A")])

    assert table.ok.tolist() == [True]
    assert ids(net, table) == [("FC-A", "SC-1", "DS-A")]
    assert (table.km[0], table.hours[0]) == (30, 3)
    assert table.use_lane.tolist() == [0, 1]


def test_resolve_paths__via_hop_without_lane__broken_and_empty() -> None:
    # Given via SC-1 but no lane SC-1 -> DS-A
    bundle = network([lane("FC-A", "SC-1", km=10, hours=1), lane("FC-A", "DS-A", km=5, hours=1)],
                     [route(["FC-A"], region="A", via=["SC-1"])])

    net, table = resolve(bundle, [(0, "FC-A", "DS-A")])

    assert table.ok.tolist() == [False]
    assert ids(net, table) == [()]
    assert math.isnan(table.km[0]) and math.isnan(table.hours[0])
    assert len(table.use_lane) == 0


def test_resolve_paths__via_hop_unknown__broken() -> None:
    bundle = network([lane("FC-A", "DS-A", km=5, hours=1)],
                     [route(["FC-A"], region="A", via=["SC-NOWHERE"])])

    net, table = resolve(bundle, [(0, "FC-A", "DS-A")])

    assert via_hops(net, bundle.routing.routes) == {0: None}
    assert table.ok.tolist() == [False]


def test_resolve_paths__empty_via__the_direct_lane() -> None:
    bundle = network([lane("FC-A", "DS-A", km=5, hours=1)], [route(["FC-A"], region="A", via=[])])

    net, table = resolve(bundle, [(0, "FC-A", "DS-A"), (0, "FC-B", "DS-A")])

    assert ids(net, table) == [("FC-A", "DS-A"), ()]


def test_resolve_paths__fastest__fewer_hours_beat_fewer_hops() -> None:
    # Given FC-A -> DS-A directly in 5 h, or via SC-1 and SC-2 in 1 + 1 + 1 h
    bundle = network([lane("FC-A", "DS-A", km=50, hours=5), lane("FC-A", "SC-1", km=10, hours=1),
                      lane("SC-1", "SC-2", km=10, hours=1), lane("SC-2", "DS-A", km=10, hours=1)])

    net, table = resolve(bundle, [(-1, "FC-A", "DS-A"), (-1, "FC-A", "SC-2")])

    assert ids(net, table) == [("FC-A", "SC-1", "SC-2", "DS-A"), ("FC-A", "SC-1", "SC-2")]
    assert table.hours.tolist() == [3, 2]
    assert table.km.tolist() == [30, 20]


def test_resolve_paths__station_unreachable_or_unknown__broken() -> None:
    bundle = network([lane("FC-A", "DS-A", km=5, hours=1)])

    net, table = resolve(bundle, [(-1, "FC-B", "DS-A"), (-1, "FC-A", None), (-1, "FC-A", "DS-A")])

    assert table.ok.tolist() == [False, False, True]
    assert ids(net, table) == [(), (), ("FC-A", "DS-A")]


def test_resolve_paths__station_is_the_fc__one_stop_no_lanes() -> None:
    bundle = network([])

    net, table = resolve(bundle, [(-1, "FC-A", "FC-A")])

    assert ids(net, table) == [("FC-A",)]
    assert (table.ok[0], table.hours[0], table.km[0]) == (True, 0, 0)


# --- zone_routes ----------------------------------------------------------------------------


def test_zone_routes__via_and_fastest_rules__each_zones_first_candidate_path() -> None:
    # Given zone 001 via SC-1 from FC-B first, zone 002 (no via) from FC-A, zone 003 broken
    bundle = build(
        facilities=[fc("FC-A"), fc("FC-B"), sc("SC-1"), ds("DS-A", lon=1)],
        zones=[zone("001", "DS-A", lon=1), zone("002", "DS-A", lon=1),
               zone("003", "DS-A", lon=1)],
        lanes=[lane("FC-B", "SC-1", km=1, hours=1), lane("SC-1", "DS-A", km=2, hours=2),
               lane("FC-A", "DS-A", km=4, hours=4)],
        regions=[region("A", ["001-003"], ["FC-A", "FC-B", "SC-1", "DS-A"])],
        routes=[route(["FC-A", "FC-B"], region="A"),
                route(["FC-B", "FC-A"], zones=["001"], via=["SC-1"]),
                route(["FC-A"], zones=["003"], via=["SC-1"])],
    )
    router = ZoneRouter(Assignment(bundle, NetworkIndex(bundle.network)))

    # When every zone's route is resolved
    routes = zone_routes(router)

    # Then each zone has its candidates, its first candidate and that one's path
    names = router.net.facility_ids
    assert routes.candidates is not None
    assert [[names[c] for c in row if c >= 0] for row in routes.candidates.tolist()] == [
        ["FC-B", "FC-A"], ["FC-A", "FC-B"], ["FC-A"]]
    assert [tuple(names[f] for f in routes.path(z)) for z in range(3)] == [
        ("FC-B", "SC-1", "DS-A"), ("FC-A", "DS-A"), ()]
    assert routes.ok.tolist() == [True, True, False]
    assert routes.lane_hours[:2].tolist() == [3, 4] and math.isnan(routes.lane_hours[2])
    assert routes.lane_km[:2].tolist() == [3, 4]


def test_zone_routes__first_candidates_given__same_paths_without_the_matrix() -> None:
    bundle = network([lane("FC-A", "DS-A", km=5, hours=1)])
    router = ZoneRouter(Assignment(bundle, NetworkIndex(bundle.network)))

    full = zone_routes(router)
    first_only = zone_routes(router, first=router.first_candidates())

    assert first_only.candidates is None
    assert first_only.first.tolist() == full.first.tolist()
    assert first_only.path(0) == full.path(0) == (0, 4)


def test_zone_routes__zone_without_known_station__no_path() -> None:
    bundle = network([lane("FC-A", "DS-A", km=5, hours=1)], station="DS-NOWHERE")
    router = ZoneRouter(Assignment(bundle, NetworkIndex(bundle.network)))

    routes = zone_routes(router)

    assert routes.zone_path.tolist() == [NO_PATH]
    assert routes.path(0) == ()
    assert not routes.ok[0]


def test_zone_via_rule__rules_with_and_without_via__rule_index_or_minus_one() -> None:
    bundle = network([], [route("nearest", region="*"), route(["FC-A"], region="A", via=[])])
    net = NetworkIndex(bundle.network)

    per_zone = zone_via_rule(np.array([1, 0, -1]), bundle.routing.routes)

    assert per_zone.tolist() == [1, -1, -1]
    assert via_hops(net, bundle.routing.routes) == {1: []}


def test_last_mile__known_and_unknown_station__road_km_or_nan() -> None:
    # Given zone 001 one degree east of DS-A at lon 1, and zone 002 with an unknown station
    bundle = build(
        facilities=[fc("FC-A"), ds("DS-A", lon=1)],
        zones=[zone("001", "DS-A", lon=2), zone("002", "DS-X", lon=2)],
        regions=[region("A", ["001", "002"], ["FC-A", "DS-A"])],
        routes=[route("nearest", region="*")],
    )

    km, hours = last_mile(NetworkIndex(bundle.network))

    assert math.isclose(km[0], road_km(1)) and math.isclose(hours[0], road_km(1) / 65)
    assert math.isnan(km[1]) and math.isnan(hours[1])
