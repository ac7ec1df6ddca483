"""The live table assembled from each live version's own route table answers exactly as the
route table of the fully composed state, for any mix of regions, versions and activation order
(when the versions share one network, the only case `assemble` accepts)."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.domain.bundle import Bundle, parse_bundle
from rollout.domain.composite import LiveRegion, claimed_zones, compose
from rollout.domain.live_table import LiveRoutes, LiveTable, RouteTable, route_table
from tests.factories import east_coast_files
from tests.rollout_factories import MOVE_282_TO_MA, NEWARK_FROM_BOSTON, RETIRE_282

REGIONS = ("NE", "MA", "SE")
#: variant name -> the east-coast example's file edits (same network unless said otherwise)
VARIANTS: dict[str, dict[str, tuple[str, str]]] = {
    "original": {},
    "moved": {"regions": MOVE_282_TO_MA},
    "rerouted": {"routing": NEWARK_FROM_BOSTON},
    "moved+rerouted": {"regions": MOVE_282_TO_MA, "routing": NEWARK_FROM_BOSTON},
}


@cache
def bundle_of(variant: str) -> Bundle:
    files = east_coast_files(**VARIANTS[variant]) if variant != "retired" else \
        east_coast_files(network=RETIRE_282)
    parsed = parse_bundle(files)
    assert parsed.bundle is not None
    return parsed.bundle


@cache
def table_of(variant: str) -> RouteTable:
    return route_table(bundle_of(variant))


def _composed_table(live: list[LiveRegion], ever: set[str]) -> LiveTable:
    composite = compose(live, ever)
    assert composite.bundle is not None
    return LiveTable.single(7, route_table(composite.bundle), composite.zone_owner,
                            composite.region_versions, composite.gaps)


live_mixes = st.lists(
    st.tuples(st.sampled_from(REGIONS), st.sampled_from(sorted(VARIANTS))),
    min_size=1, max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(activations=live_mixes, gone=st.sets(st.sampled_from(REGIONS), max_size=1))
def test_live_table__any_mix_and_order__assembled_answers_equal_the_composed_state(
        activations: list[tuple[str, str]], gone: set[str]) -> None:
    # Given activations in order (a region's last one counts), some regions since taken out
    latest: dict[str, tuple[int, str]] = {}
    for sequence, (code, variant) in enumerate(activations, start=1):
        latest[code] = (sequence, variant)
    live = {code: sv for code, sv in latest.items() if code not in gone} or latest
    history = {code: set(claimed_zones(bundle_of(v), code)) for code, (_, v) in latest.items()}
    ever = set().union(*(history[code] for code in live))

    # When the table is assembled from the versions' own tables, and composed in full
    fast = LiveTable.assemble(7, [LiveRoutes(code, variant, sequence, table_of(variant))
                                  for code, (sequence, variant) in live.items()], ever)
    full = _composed_table([LiveRegion(code, variant, bundle_of(variant), sequence)
                            for code, (sequence, variant) in live.items()], ever)

    # Then every zone has the same owner and the same answer, and the gaps agree
    assert fast is not None
    assert fast.zone_owner == full.zone_owner
    assert fast.gaps == full.gaps
    for zone in table_of("original").zone_ids:
        assert fast.answer(zone) == full.answer(zone), zone
    # and asked all at once (unknown zones too), each answer is the same
    asked = [*reversed(table_of("original").zone_ids), "999", "070"]
    assert fast.answers(asked) == [full.answer(zone) for zone in asked]


def test_live_table__versions_with_different_networks__not_assembled() -> None:
    # Given NE on the original and SE on a version whose network lost zone 282
    live = [LiveRoutes("NE", "original", 1, table_of("original")),
            LiveRoutes("SE", "retired", 2, table_of("retired"))]

    # Then the assembly declines: the caller composes the full state instead
    assert LiveTable.assemble(2, live, set()) is None


def test_live_table__pack_and_unpack__same_answers() -> None:
    # Given a table assembled from two versions
    live = [LiveRoutes("NE", "original", 1, table_of("original")),
            LiveRoutes("MA", "moved", 2, table_of("moved"))]
    table = LiveTable.assemble(2, live, set())
    assert table is not None

    # When it is packed, and read back with the versions' tables
    again = LiveTable.unpack(table.pack(), {"original": table_of("original"),
                                            "moved": table_of("moved")})

    # Then it answers the same, and names the versions it needs
    assert LiveTable.versions_in(table.pack()) == {"NE": "original", "MA": "moved"}
    for zone in table.zone_ids:
        assert again.answer(zone) == table.answer(zone)


def test_route_table__pack_and_unpack__same_table() -> None:
    table = table_of("moved+rerouted")
    again = RouteTable.unpack(table.pack())
    assert again.digest == table.digest and again.zone_ids == table.zone_ids
    assert all(again.fcs(z) == table.fcs(z) and again.path(z) == table.path(z)
               for z in range(len(table.zone_ids)))
    assert again.claims.keys() == table.claims.keys()


@pytest.mark.parametrize("variant, fcs, path", [
    ("original", ["FC-EWR4", "FC-BOS7"], ["FC-EWR4", "SC-EWR2", "DS-EWR9"]),
    ("rerouted", ["FC-BOS7", "FC-EWR4"], ["FC-BOS7", "SC-EWR2", "DS-EWR9"]),
])
def test_route_table__newark__its_rule_and_the_first_candidates_path(
        variant: str, fcs: list[str], path: list[str]) -> None:
    table = table_of(variant)
    position = table.zone_position["070"]
    assert table.fcs(position) == fcs
    assert table.path(position) == path
