"""Who owns what (rollout/domain/assignment.py): each zone's and facility's region (the first
that claims it) and how many claim it, each zone's routing rule (the last that covers it), and
the selector problems met on the way, as findings for the checks to report."""

from __future__ import annotations

from typing import Any

from rollout.domain.assignment import NO_REGION, NO_RULE, Assignment
from rollout.domain.network import NetworkIndex
from tests.domain.simnet import build, ds, fc, region, route, zone

FACILITIES = [fc("FC-B"), fc("FC-A"), fc("FC-C"), ds("DS-1")]
ZONES = ["001", "002", "003", "010"]


def assignment(regions: list[dict[str, Any]],
               routes: list[dict[str, Any]] | None = None) -> Assignment:
    """Zones 001, 002, 003, 010 (station DS-1) and facilities FC-B, FC-A, FC-C, DS-1."""
    bundle = build(facilities=FACILITIES, zones=[zone(z, "DS-1") for z in ZONES],
                   regions=regions, routes=routes or [route("nearest", region="*")])
    return Assignment(bundle, NetworkIndex(bundle.network))


def codes(found: Assignment) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in found.problems]


def test_zones__ids_and_ranges__each_zone_to_its_first_claiming_region() -> None:
    # Given A claiming 001-002 by range, B claiming 002 and 010 by id; 003 claimed by none
    found = assignment([region("A", ["001-002"], ["FC-A"]),
                        region("B", ["002", "010"], ["FC-B"])])

    # Then each zone belongs to the first region claiming it, and the claims are counted
    assert found.region_codes == ["A", "B"]
    assert found.zone_region.tolist() == [0, 0, NO_REGION, 1]
    assert found.zone_claims.tolist() == [1, 2, 0, 1]
    assert [s.tolist() for s in found.region_zone_sets] == [[0, 1], [1, 3]]
    assert found.problems == []


def test_zones__bad_selectors__e111_e110_w112_with_their_place() -> None:
    # Given a malformed range, an unknown zone id and a range matching no zone
    found = assignment([region("A", ["01-002", "999", "020-029", "001"], ["FC-A"])])

    # Then each is a finding pointing at its entry, and the good selector still counts
    assert [(f.code, f.ref.path if f.ref else None) for f in found.problems] == [
        ("E111", ("regions", 0, "zones", 0)),
        ("E110", ("regions", 0, "zones", 1)),
        ("W112", ("regions", 0, "zones", 2)),
    ]
    assert codes(found)[1] == ("E110", "region A names unknown zone '999'")
    assert found.zone_region.tolist() == [0, NO_REGION, NO_REGION, NO_REGION]


def test_facilities__claimed_twice_or_unknown__first_region_count_and_e110() -> None:
    found = assignment([region("A", ["001"], ["FC-A", "FC-A", "DS-1"]),
                        region("B", ["002"], ["FC-A", "FC-X"])])

    # FC-A (position 1) belongs to A and is claimed by two regions (A's repeat not counted)
    assert found.facility_region.tolist() == [NO_REGION, 0, NO_REGION, 0]
    assert found.facility_claims.tolist() == [0, 2, 0, 1]
    assert codes(found) == [("E110", "region B lists unknown facility 'FC-X'")]
    assert found.region_facilities(0).tolist() == [1, 3]


def test_rules__later_rule_covers_again__the_last_rule_wins() -> None:
    # Given a catch-all rule, then one for region B, then one for zone 001 by id
    found = assignment([region("A", ["001", "002"], ["FC-A"]), region("B", ["010"], ["FC-B"])],
                       [route("nearest", region="*"), route(["FC-B"], region="B"),
                        route(["FC-A"], zones=["001"])])

    # Then each zone's rule is the last one that covers it
    assert found.zone_rule.tolist() == [2, 0, 0, 1]


def test_rules__region_not_defined__e110_with_the_known_regions() -> None:
    found = assignment([region("A", ["001"], ["FC-A"])],
                       [route("nearest", region="Z"), route(["FC-A"], zones=["002"])])

    [problem] = found.problems
    assert (problem.code, problem.hint) == ("E110", "known regions: A")
    assert problem.ref is not None and problem.ref.path == ("routes", 0, "region")
    assert found.zone_rule.tolist() == [NO_RULE, 1, NO_RULE, NO_RULE]


def test_region_fcs__fcs_written_out_of_order__sorted_by_id_per_region() -> None:
    found = assignment([region("A", ["001"], ["FC-C", "FC-B", "DS-1"]),
                        region("B", ["002"], ["FC-A"])])

    # FC-B (position 0) before FC-C (position 2); DS-1 is no FC
    assert [fcs.tolist() for fcs in found.region_fcs] == [[0, 2], [1]]
