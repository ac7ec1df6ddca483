"""Region design's costs (`costs.zone_fc_km`: the km the simulator counts, along the fastest
lane path to the zone's station plus the last mile) and `centres.every_centre_served`."""

from __future__ import annotations

import numpy as np
import pytest

from rollout.demo import demo_bundles
from rollout.domain.assignment import Assignment
from rollout.domain.design.centres import every_centre_served
from rollout.domain.design.costs import UNREACHABLE_KM, zone_fc_km
from rollout.domain.network import NetworkIndex
from rollout.domain.paths import last_mile, zone_routes
from rollout.domain.routing import ZoneRouter
from rollout.domain.validate import validate_files


def _demo() -> tuple[NetworkIndex, Assignment]:
    demo = next(d for d in demo_bundles() if d.name == "all-eight")
    bundle = validate_files(dict(demo.files)).bundle
    assert bundle is not None
    net = NetworkIndex(bundle.network)
    return net, Assignment(bundle, net)


def test_zone_fc_km__demo__each_zones_first_route_costs_what_the_simulator_counts() -> None:
    # Given the demo network and every zone's first route under its own routing
    net, assignment = _demo()
    router = ZoneRouter(assignment)
    routes = zone_routes(router, first=router.first_candidates())
    km = zone_fc_km(net, net.fc_positions)
    mile, _ = last_mile(net)

    # Then the matrix at (zone, its first FC) is that route's lane km plus the last mile
    first = router.first_candidates()
    zones = np.flatnonzero((first >= 0) & routes.ok)
    column = np.searchsorted(net.fc_positions, first[zones])
    expected = routes.lane_km[zones] + mile[zones]
    assert zones.size > 800
    np.testing.assert_allclose(km[zones, column], expected, rtol=1e-9)
    assert (km < UNREACHABLE_KM).all()  # every demo station is reached from every FC


def test_every_centre_served__a_centre_without_zones__takes_the_cheapest_zone_with_demand(
        ) -> None:
    # Given three centres, the last of which no zone chose
    km = np.array([[1.0, 9.0, 5.0], [2.0, 9.0, 3.0], [9.0, 1.0, 4.0], [9.0, 2.0, 1.0]])
    weights = np.array([5.0, 5.0, 5.0, 0.0])
    labels = np.array([0, 0, 1, 1])

    # When
    served = every_centre_served(labels, km=km, weights=weights, medians=np.arange(3))

    # Then the zone with demand that costs least to move (zone 1: +1) moves; zone 3 would
    # cost less (-1) but has no demand; no region is emptied
    assert served.tolist() == [0, 2, 1, 1]
    assert labels.tolist() == [0, 0, 1, 1]  # the input is left alone


@pytest.mark.parametrize("labels", [[0, 1, 2], [0, 0, 1]])
def test_every_centre_served__one_zone_each_possible__no_region_empty(labels: list[int]) -> None:
    km = np.ones((3, 3))
    served = every_centre_served(np.array(labels), km=km, weights=np.ones(3),
                                 medians=np.arange(3))
    assert sorted(served.tolist()) == [0, 1, 2]
