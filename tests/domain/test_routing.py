"""A zone's candidate FCs (rollout/domain/routing.py), per DESIGN section 4 rules 1 and 2.

Points lie on the equator, so distance grows with the difference in longitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex
from rollout.domain.routing import RouteChoice, ZoneRouter
from tests.domain.simnet import build, ds, fc, region, route, zone


def router_for(routes: list[dict[str, Any]]) -> ZoneRouter:
    """FCs at lon 0 (FC-C), 1 (FC-A), 3 (FC-B, region B) and -1 (FC-D); zones 001 (lon 0),
    002 (lon 2) and 003 (lon 2, region B); zone 004 belongs to no region."""
    bundle: Bundle = build(
        facilities=[fc("FC-C"), fc("FC-A", lon=1), fc("FC-B", lon=3), fc("FC-D", lon=-1),
                    ds("DS-A"), ds("DS-B", lon=3)],
        zones=[zone("001", "DS-A"), zone("002", "DS-A", lon=2), zone("003", "DS-B", lon=2),
               zone("004", "DS-A")],
        regions=[region("A", ["001", "002"], ["FC-A", "FC-C", "FC-D", "DS-A"]),
                 region("B", ["003"], ["FC-B", "DS-B"])],
        routes=routes,
    )
    return ZoneRouter(Assignment(bundle, NetworkIndex(bundle.network)))


def names(router: ZoneRouter, positions: np.ndarray) -> list[str]:
    return [router.net.facility_ids[p] for p in positions.tolist() if p >= 0]


def test_candidates__nearest__every_fc_by_distance_ties_by_id() -> None:
    # Given zone 001 at lon 0: FC-C at 0, FC-A and FC-D both 1 degree away, FC-B 3 away
    router = router_for([route("nearest", region="*")])

    # Then FC-A comes before FC-D (same distance, smaller id)
    assert names(router, router.candidates(0)) == ["FC-C", "FC-A", "FC-D", "FC-B"]
    assert names(router, router.candidates(1)) == ["FC-A", "FC-B", "FC-C", "FC-D"]


def test_candidates__nearest_in_region__only_the_regions_fcs() -> None:
    router = router_for([route("nearest_in_region", region="*")])

    assert names(router, router.candidates(1)) == ["FC-A", "FC-C", "FC-D"]
    assert names(router, router.candidates(2)) == ["FC-B"]
    assert names(router, router.candidates(3)) == []  # zone 004: no region


def test_candidates__explicit_list__as_written_unknown_ids_left_out() -> None:
    router = router_for([route(["FC-D", "FC-NOWHERE", "FC-A"], region="*")])

    assert names(router, router.candidates(0)) == ["FC-D", "FC-A"]


def test_candidates__later_rule_overrides__and_no_rule_no_candidates() -> None:
    router = router_for([route("nearest", region="A"), route(["FC-B"], zones=["002"])])

    assert names(router, router.candidates(1)) == ["FC-B"]
    assert names(router, router.candidates(0))[0] == "FC-C"
    assert names(router, router.candidates(2)) == []  # zone 003: no rule covers it


def test_candidate_matrix__mixed_rules__rows_are_the_candidates_padded() -> None:
    router = router_for([route("nearest_in_region", region="*"),
                         route(["FC-B", "FC-C"], zones=["001"])])

    matrix = router.candidate_matrix()

    assert matrix.shape == (4, 3)
    assert [names(router, row) for row in matrix] == [
        ["FC-B", "FC-C"], ["FC-A", "FC-C", "FC-D"], ["FC-B"], []]
    assert matrix[3].tolist() == [-1, -1, -1]


def test_first_candidates__ties_and_every_kind_of_rule__column_zero_of_the_matrix() -> None:
    for routes in ([route("nearest", region="*")],
                   [route("nearest_in_region", region="*")],
                   [route(["FC-D", "FC-A"], region="*"), route("nearest", zones=["002"])]):
        router = router_for(routes)

        first = router.first_candidates()

        matrix = router.candidate_matrix()
        assert first.tolist() == [row[0] if len(row) else -1 for row in matrix.tolist()]


def test_choice__via_rule__candidates_and_hops() -> None:
    router = router_for([route(["FC-A"], region="*", via=["DS-A"])])

    assert router.choice(0) == RouteChoice(rule=0, fcs=("FC-A",), via=("DS-A",))
    assert router_for([route("nearest", region="A")]).choice(2) is None
