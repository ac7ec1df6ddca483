"""The network as arrays and a graph (rollout/domain/network.py): positions, lane defaults
(DESIGN section 2: km = great-circle km x 1.2, hours = km / 65), unknown references as -1, the
graph and the fastest lanes, and one build shared by indexes over the same lists.

Networks lie on the equator (`tests.domain.simnet`), where one degree of longitude is
KM_PER_DEGREE great-circle km.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex, great_circle_km, hours_for_km, road_km
from tests.domain.simnet import KM_PER_DEGREE, build, ds, fc, lane, region, route, sc, zone
from tests.domain.simnet import road_hours as simnet_road_hours
from tests.domain.simnet import road_km as simnet_road_km


def network(lanes: list[dict[str, Any]], *, station: str = "DS-A") -> Bundle:
    """FC-B, FC-A (written in that order), SC-1 and DS-A one degree apart along the equator,
    zones 001 (station `station`) and 002 (no demand given)."""
    return build(
        facilities=[fc("FC-B", lon=0), fc("FC-A", lon=1), sc("SC-1", lon=2), ds("DS-A", lon=3)],
        zones=[zone("001", station, lon=3, demand=40), zone("002", "DS-A", lon=4)],
        lanes=lanes,
        regions=[region("A", ["001", "002"], ["FC-A", "FC-B", "SC-1", "DS-A"])],
        routes=[route("nearest", region="A")],
    )


def test_great_circle_km__one_degree_on_the_equator__r_times_pi_over_180() -> None:
    assert great_circle_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(KM_PER_DEGREE)
    assert great_circle_km(0.0, 0.0, 0.0, 0.0) == 0.0
    # symmetric, and broadcast over arrays
    distances = great_circle_km(np.zeros(2), np.zeros(2), np.zeros(2), np.array([1.0, 2.0]))
    assert distances == pytest.approx([KM_PER_DEGREE, 2 * KM_PER_DEGREE])
    assert great_circle_km(0.0, 2.0, 0.0, 0.0) == pytest.approx(2 * KM_PER_DEGREE)


def test_lane_defaults__km_and_hours_not_given__road_km_and_km_over_65() -> None:
    # Given a lane with nothing but its ends, one with km only, one with both
    net = NetworkIndex(network([lane("FC-A", "SC-1"), lane("SC-1", "DS-A", km=500),
                                lane("FC-B", "FC-A", km=10, hours=7)]).network)

    # Then km defaults to the great circle x 1.2 and hours to km / 65; given values are kept
    assert net.lane_km == pytest.approx([simnet_road_km(1), 500, 10])
    assert net.lane_hours == pytest.approx([simnet_road_hours(1), 500 / 65, 7])
    assert road_km(100.0) == pytest.approx(120.0)
    assert hours_for_km(130.0) == pytest.approx(2.0)


def test_network_index__positions_and_arrays__in_the_order_written() -> None:
    net = NetworkIndex(network([]).network)

    assert net.facility_ids == ["FC-B", "FC-A", "SC-1", "DS-A"]
    assert net.facility_position == {"FC-B": 0, "FC-A": 1, "SC-1": 2, "DS-A": 3}
    assert list(net.facility_type) == ["fc", "fc", "sc", "ds"]
    assert (net.n_facilities, net.n_zones) == (4, 2)
    assert list(net.zone_station) == [3, 3]
    assert list(net.zone_demand) == [40, -1]  # -1: not given


def test_network_index__unknown_station_and_lane_ends__minus_one_and_no_edge() -> None:
    # Given a zone whose station does not exist and a lane to a facility that does not
    net = NetworkIndex(network([lane("FC-A", "DS-X"), lane("FC-A", "DS-A", km=3)],
                               station="DS-X").network)

    # Then their positions are -1, and the unknown lane is no edge of the graph
    assert net.zone_station[0] == -1
    assert list(net.lane_from) == [1, 1] and list(net.lane_to) == [-1, 3]
    assert list(net.graph.edges) == [("FC-A", "DS-A")]
    assert net.lane_km[0] == 0.0  # no distance between unknown ends


def test_fc_positions__fcs_written_out_of_order__sorted_by_id() -> None:
    net = NetworkIndex(network([]).network)

    # FC-A (position 1) before FC-B (position 0): argmin ties go to the smaller id
    assert list(net.fc_positions) == [1, 0]


def test_graph__lanes__facility_nodes_with_type_and_lane_edges() -> None:
    net = NetworkIndex(network([lane("FC-A", "SC-1", km=50, hours=1, truck_capacity=9)]).network)

    assert dict(net.graph.nodes(data="type")) == {"FC-B": "fc", "FC-A": "fc", "SC-1": "sc",
                                                  "DS-A": "ds"}
    assert net.graph.edges["FC-A", "SC-1"] == {"km": 50.0, "hours": 1.0, "truck_capacity": 9}


def test_lane_matrix_hours__duplicate_lanes__the_fastest_is_kept() -> None:
    net = NetworkIndex(network([lane("FC-A", "SC-1", hours=5), lane("FC-A", "SC-1", hours=2),
                                lane("FC-A", "SC-1", hours=3), lane("SC-1", "DS-A", hours=4)])
                       .network)

    matrix = net.lane_matrix_hours.toarray()
    assert matrix[1, 2] == 2.0  # not 5, 3 or their sum
    assert matrix[2, 3] == 4.0
    assert np.count_nonzero(matrix) == 2


def test_reachable_from__a_chain_of_lanes__downstream_only() -> None:
    net = NetworkIndex(network([lane("FC-A", "SC-1"), lane("SC-1", "DS-A")]).network)

    reach = net.reachable_from(np.array([1, 3]))

    assert reach.tolist() == [[False, True, True, True],   # FC-A reaches itself, SC-1, DS-A
                              [False, False, False, True]]  # DS-A reaches only itself
    assert net.reachable_from(np.array([], dtype=np.int64)).shape == (0, 4)


def test_fastest_paths_from__two_routes__fewer_hours_win_with_predecessors() -> None:
    # Given FC-A -> DS-A directly in 10 h, or through SC-1 in 2 + 3 h
    net = NetworkIndex(network([lane("FC-A", "DS-A", hours=10), lane("FC-A", "SC-1", hours=2),
                                lane("SC-1", "DS-A", hours=3)]).network)

    hours, predecessors = net.fastest_paths_from(np.array([1]))

    assert hours[0, 3] == pytest.approx(5.0)
    assert predecessors[0, 3] == 2 and predecessors[0, 2] == 1
    assert np.isinf(hours[0, 0])  # FC-B is not reachable from FC-A


def test_zone_distance_km__facilities_by_zones__great_circle_matrix() -> None:
    net = NetworkIndex(network([]).network)

    distances = net.zone_distance_km(np.array([0, 3]), np.array([0, 1]))

    np.testing.assert_allclose(distances, [[3 * KM_PER_DEGREE, 4 * KM_PER_DEGREE],
                                           [0.0, KM_PER_DEGREE]], atol=1e-9)


def test_network_index__same_facility_and_lane_lists__built_once_and_shared() -> None:
    # Given two indexes over the same parsed network (a composite and its slices do this)
    parsed = network([lane("FC-A", "SC-1")]).network
    first, second = NetworkIndex(parsed), NetworkIndex(parsed)

    # Then the graph and the lane arrays are the same objects, not equal copies
    assert first.graph is second.graph
    assert first.lane_km is second.lane_km
    # while another network's lists get their own
    assert NetworkIndex(network([lane("FC-A", "SC-1")]).network).graph is not first.graph
