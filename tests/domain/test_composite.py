"""The composite live state: regions on different versions composed into one checked bundle."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rollout.domain.bundle import Bundle, parse_bundle
from rollout.domain.checks import run_checks
from rollout.domain.composite import LiveRegion, claimed_zones, compose, gap_findings
from rollout.domain.demand import generate_orders, read_orders_csv
from rollout.domain.simulate import simulate
from tests.factories import east_coast_files
from tests.rollout_factories import MOVE_282_TO_MA, NEWARK_FROM_BOSTON, RETIRE_282

ALL_ZONES = {"021", "024", "070", "071", "100", "112", "191", "200", "212", "282", "303"}


def bundle(**replacements: tuple[str, str]) -> Bundle:
    parsed = parse_bundle(east_coast_files(**replacements)).bundle
    assert parsed is not None
    return parsed


ORIGINAL = bundle()
MOVED_282 = bundle(regions=MOVE_282_TO_MA)  # MA claims 282, SE only 303
REROUTED = bundle(routing=NEWARK_FROM_BOSTON)
RETIRED_282 = bundle(network=RETIRE_282)  # zone 282 gone from the network


def live(*entries: tuple[str, str, Bundle]) -> list[LiveRegion]:
    """Live regions from (code, version label, bundle), activated in the order given."""
    return [LiveRegion(code=code, version_id=label, bundle=b, sequence=number)
            for number, (code, label, b) in enumerate(entries, start=1)]


def all_on(b: Bundle, order: Sequence[str] = ("NE", "MA", "SE")) -> list[LiveRegion]:
    return live(*((code, "v", b) for code in order))


def rule_for(b: Bundle, zone: str) -> tuple[object, object]:
    """(fcs, via) of the composite's rule naming `zone` (composite rules are all explicit)."""
    matching = [r for r in b.routing.routes if r.zones is not None and zone in r.zones]
    assert len(matching) == 1, f"zone {zone} in {len(matching)} composite rules"
    return matching[0].fcs, matching[0].via


def test_claimed_zones__example_regions__expands_ranges_over_the_network_zones() -> None:
    assert claimed_zones(ORIGINAL, "MA") == ["191", "212", "200"]
    assert sorted(claimed_zones(ORIGINAL, "SE")) == ["282", "303"]
    assert claimed_zones(MOVED_282, "SE") == ["303"]
    assert sorted(claimed_zones(MOVED_282, "MA")) == ["191", "200", "212", "282"]


def test_claimed_zones__unknown_region__nothing() -> None:
    assert claimed_zones(ORIGINAL, "MW") == []


def test_compose__two_regions_claim_a_zone__the_most_recent_activation_owns_it() -> None:
    # Given SE live on the original (claims 282) and MA activated later on the moved version
    state = compose(live(("NE", "v0", ORIGINAL), ("SE", "v0", ORIGINAL), ("MA", "v1", MOVED_282)))

    # Then MA owns 282, with the route and region definition of MA's version
    assert state.zone_owner["282"] == "MA"
    assert state.zone_owner["303"] == "SE"
    assert state.bundle is not None
    assert rule_for(state.bundle, "282") == ("nearest_in_region", None)
    assert state.region_versions == {"NE": "v0", "SE": "v0", "MA": "v1"}
    assert state.gaps == []


def test_compose__other_activation_order__the_later_region_wins_instead() -> None:
    # Given the same two versions, but SE activated after MA
    state = compose(live(("NE", "v0", ORIGINAL), ("MA", "v1", MOVED_282), ("SE", "v0", ORIGINAL)))

    # Then SE owns 282, routed by SE's version (the national "nearest" rule)
    assert state.zone_owner["282"] == "SE"
    assert state.bundle is not None
    assert rule_for(state.bundle, "282") == ("nearest", None)


def test_compose__sequence_not_list_order__decides_ownership() -> None:
    regions = [LiveRegion("MA", "v1", MOVED_282, sequence=9),
               LiveRegion("SE", "v0", ORIGINAL, sequence=4)]

    assert compose(regions).zone_owner["282"] == "MA"


def test_compose__composite_bundle__lists_each_regions_zones_and_rules_explicitly() -> None:
    # Given regions on different versions
    state = compose(live(("SE", "v0", ORIGINAL), ("MA", "v1", MOVED_282), ("NE", "v2", REROUTED)))
    assert state.bundle is not None

    # Then every composite region lists exactly the zones it owns, as plain ids (no ranges) ...
    zones = {r.code: sorted(r.zones) for r in state.bundle.regions.regions}
    assert zones == {"SE": ["303"], "MA": ["191", "200", "212", "282"],
                     "NE": ["021", "024", "070", "071", "100", "112"]}
    # ... every rule is a `zones:` rule, no zone has two, and Newark follows NE's version
    assert all(r.zones and r.region is None for r in state.bundle.routing.routes)
    assert sorted(z for r in state.bundle.routing.routes for z in r.zones or []) == sorted(
        ALL_ZONES)
    assert rule_for(state.bundle, "070") == (["FC-BOS7", "FC-EWR4"], ["SC-EWR2"])
    assert state.live_zones == ALL_ZONES


def test_compose__zone_claimed_once_and_now_by_nobody__is_a_coverage_gap() -> None:
    # Given 282 was live (SE claimed it) and now SE runs the moved version while MA stays
    state = compose(live(("NE", "v0", ORIGINAL), ("MA", "v0", ORIGINAL), ("SE", "v1", MOVED_282)),
                    ever_claimed=ALL_ZONES)

    # Then 282 is a gap, reported as E120
    assert state.gaps == ["282"]
    assert "282" not in state.zone_owner
    [finding] = gap_findings(state)
    assert finding.code == "E120" and finding.severity == "error"
    assert finding.message == ("zone 282 was live but no live region claims it now "
                               "(coverage gap)")


def test_compose__zones_never_claimed__not_live_rather_than_gaps() -> None:
    # Given only NE live, and nothing else ever claimed
    state = compose(live(("NE", "v0", ORIGINAL)), ever_claimed=claimed_zones(ORIGINAL, "NE"))

    # Then MA's and SE's zones are simply not live
    assert state.gaps == []
    assert state.live_zones == {"021", "024", "070", "071", "100", "112"}
    assert gap_findings(state) == []
    assert state.bundle is not None
    assert not [f for f in run_checks(state.bundle) if f.severity == "error"]


def test_compose__zone_no_live_network_has_any_more__retired_not_a_gap() -> None:
    # Given 282 was once live, and every region is now on a version without zone 282
    state = compose(all_on(RETIRED_282), ever_claimed=ALL_ZONES)

    # Then 282 is retired, not a coverage gap
    assert state.gaps == []
    assert state.live_zones == ALL_ZONES - {"282"}


def test_compose__zone_still_in_a_live_network_but_unclaimed__still_a_gap() -> None:
    # Given NE and MA on the version without 282, and SE on the one where MA (not SE) claims it
    state = compose(live(("NE", "v3", RETIRED_282), ("MA", "v3", RETIRED_282),
                         ("SE", "v1", MOVED_282)), ever_claimed=ALL_ZONES)

    # Then SE's network still has 282 and nobody claims it: a gap
    assert state.gaps == ["282"]


def test_compose__nothing_live__no_bundle_and_every_once_live_zone_a_gap() -> None:
    assert compose([]).bundle is None
    assert compose([]).gaps == []
    assert compose([], ever_claimed=["303", "282"]).gaps == ["282", "303"]


def test_compose__every_region_on_one_version__checks_like_the_version() -> None:
    state = compose(all_on(ORIGINAL))
    assert state.bundle is not None

    def errors(b: Bundle) -> list[str]:
        return [f.code for f in run_checks(b) if f.severity == "error"]

    assert errors(state.bundle) == errors(ORIGINAL) == []
    assert {f.code for f in run_checks(state.bundle)} == {f.code for f in run_checks(ORIGINAL)}


@pytest.mark.parametrize("order", [("NE", "MA", "SE"), ("SE", "NE", "MA"), ("MA", "SE", "NE")],
                         ids="-".join)
def test_compose__every_region_on_one_version__replayed_orders_simulate_identically(
        order: tuple[str, ...]) -> None:
    # Given every region live on the original version, activated in some order
    state = compose(all_on(ORIGINAL, order))
    assert state.bundle is not None
    csv = "order_id,zone,sku\n" + "".join(
        f"{n},{zone},{(n * 7919) % 100_000}\n"
        for n, zone in enumerate(sorted(ALL_ZONES) * 40))

    # When the same exact order list is replayed over the composite and the version
    composite = simulate(state.bundle, read_orders_csv(csv, state.bundle))
    version = simulate(ORIGINAL, read_orders_csv(csv, ORIGINAL))

    # Then every KPI, per region and in total, is the same
    assert composite.as_dict() == version.as_dict()


@pytest.mark.parametrize("order", [("NE", "MA", "SE"), ("SE", "NE", "MA"), ("MA", "SE", "NE")],
                         ids="-".join)
def test_compose__every_region_on_one_version__generated_demand_simulates_identically(
        order: tuple[str, ...]) -> None:
    # Given every region live on the original version, activated in some order
    state = compose(all_on(ORIGINAL, order))
    assert state.bundle is not None

    # When each is simulated with its own generated demand (demand.yaml, same seed)
    composite = simulate(state.bundle)
    version = simulate(ORIGINAL)

    # Then the live network predicts exactly what the version predicts: the order in which
    # regions went live must not change the zones' generated orders
    assert [z.id for z in state.bundle.network.zones] == [z.id for z in ORIGINAL.network.zones]
    assert composite.as_dict() == version.as_dict()


def test_generate_orders__composite_in_file_order__same_orders_as_the_version() -> None:
    state = compose(all_on(ORIGINAL))
    assert state.bundle is not None

    composite, version = generate_orders(state.bundle), generate_orders(ORIGINAL)

    assert (composite.order_zone == version.order_zone).all()
    assert (composite.item_sku == version.item_sku).all()
