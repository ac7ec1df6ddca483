"""The diff between two bundles: what a change means (semantic) and what it looks like (text).

Every modified bundle is the east-coast example with one textual edit, so each test states its
change as "replace this with that" and checks the meaning the diff gives it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle, parse_bundle
from rollout.domain.diff import (
    Group,
    RouteChange,
    SemanticDiff,
    compress_zone_ids,
    render_text,
    semantic_diff,
    text_diff,
    unified_diff,
)
from rollout.domain.network import NetworkIndex
from rollout.domain.ranges import ZoneRange, parse_selector
from rollout.domain.routing import ZoneRouter
from tests.domain.bundles import BundleFiles, east_coast

NE_RANGES = '["010-069", "070-089", "100-149"]'
NEWARK_RULE = "fcs: [FC-EWR4, FC-BOS7]"


def bundle_of(files: Mapping[str, bytes]) -> Bundle:
    parsed = parse_bundle(files)
    assert parsed.bundle is not None, parsed.findings
    return parsed.bundle


def diff_of(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> SemanticDiff:
    return semantic_diff(bundle_of(old), bundle_of(new))


def texts(files: Mapping[str, bytes]) -> dict[str, str]:
    return {name: raw.decode("utf-8") for name, raw in files.items()}


def route(diff: SemanticDiff, zone: str) -> RouteChange:
    matches = [change for change in diff.routes_changed if change.zone == zone]
    assert len(matches) == 1, [c.zone for c in diff.routes_changed]
    return matches[0]


def expand(compressed: str) -> set[str]:
    """The ids a `compress_zone_ids` line stands for, read with the bundle's own range syntax."""
    ids: set[str] = set()
    for part in compressed.split(", ") if compressed else []:
        selector = parse_selector(part)
        if isinstance(selector, ZoneRange):
            ids.update(f"{v:0{selector.width}d}" for v in range(selector.low, selector.high + 1))
        else:
            ids.add(selector)
    return ids


def moved_ne_to_ma(files: BundleFiles) -> BundleFiles:
    """Zones 100-149 (the example's 100 and 112) move from NE to MA."""
    return (files.edit("regions.yaml", NE_RANGES, '["010-069", "070-089"]')
            .edit("regions.yaml", '["150-219"]', '["100-149", "150-219"]'))


# --- compress_zone_ids --------------------------------------------------------------------------


def test_compress_zone_ids__consecutive_numeric_runs__collapsed_into_ranges() -> None:
    ids = [f"{n:03d}" for n in range(10, 20)] + ["070", "203", "201", "202", "201"]

    assert compress_zone_ids(ids) == "010-019, 070, 201-203"


def test_compress_zone_ids__other_widths_and_names__kept_apart() -> None:
    assert compress_zone_ids(["070", "71", "072", "SPECIAL", "70"]) == (
        "070, 072, 70-71, SPECIAL")


def test_compress_zone_ids__no_ids__empty_text() -> None:
    assert compress_zone_ids([]) == ""


zone_ids = st.one_of(
    st.integers(0, 400).map(lambda n: f"{n:03d}"),
    st.integers(0, 99_999).map(lambda n: f"{n:05d}"),
    st.integers(0, 30).map(str),
    st.text("ABCXYZ_.", min_size=1, max_size=4),
    st.text("0123456789", min_size=1, max_size=6),
)


@given(st.lists(zone_ids, max_size=60))
def test_compress_zone_ids__any_ids__expanding_gives_back_the_same_set(ids: list[str]) -> None:
    assert expand(compress_zone_ids(ids)) == set(ids)


# --- semantic_diff ------------------------------------------------------------------------------


def test_semantic_diff__identical_bundles__empty() -> None:
    files = east_coast()

    diff = diff_of(files, files)

    assert diff.is_empty
    assert diff.as_dict()["empty"] is True
    assert text_diff(texts(files), texts(files)) == []


def test_semantic_diff__comment_only_change__empty_but_text_diff_shows_it() -> None:
    old = east_coast()
    new = old.edit("routing.yaml", "# Newark's ZIP3s", "# Newark ZIP3 areas")

    diff = diff_of(old, new)
    files = text_diff(texts(old), texts(new))

    assert diff.is_empty
    assert [(f.name, f.status) for f in files] == [("routing.yaml", "modified")]
    assert files[0].diff.startswith("--- a/routing.yaml\n+++ b/routing.yaml\n@@ ")
    assert "-  - zones: [\"070-079\"]       # Newark's ZIP3s" in files[0].diff
    assert "+  - zones: [\"070-079\"]       # Newark ZIP3 areas" in files[0].diff


def test_semantic_diff__zone_range_moved_to_another_region__moved_zones_with_codes() -> None:
    diff = diff_of(east_coast(), moved_ne_to_ma(east_coast()))

    assert [(m.id, m.old_region, m.new_region) for m in diff.zones_moved] == [
        ("100", "NE", "MA"), ("112", "NE", "MA")]
    assert diff.zone_move_groups() == [Group("NE", "MA", 2, "100, 112")]
    assert diff.as_dict()["zones"]["moved_summary"] == [  # type: ignore[index]
        {"old_region": "NE", "new_region": "MA", "count": 2, "zones": "100, 112"}]


def test_semantic_diff__zone_moved_region__its_nearest_in_region_route_follows() -> None:
    diff = diff_of(east_coast(), moved_ne_to_ma(east_coast()))

    change = route(diff, "100")
    assert change.old_fcs == ("FC-EWR4", "FC-BOS7")
    assert change.new_fcs == ("FC-BWI2",)
    assert change.old_path == ("FC-EWR4", "SC-EWR2", "DS-NYC3")
    assert change.new_path == ("FC-BWI2", "SC-BWI5", "SC-EWR2", "DS-NYC3")
    assert diff.route_groups() == [Group("FC-EWR4", "FC-BWI2", 2, "100, 112")]


def test_semantic_diff__facility_added__listed_and_national_candidates_include_it() -> None:
    new = east_coast().insert_before(
        "network.yaml", "  # Sort centres",
        "  - {id: FC-CLT9, type: fc, lat: 35.20, lon: -80.90}\n")

    diff = diff_of(east_coast(), new)

    assert diff.facilities_added == ["FC-CLT9"]
    assert diff.facilities_removed == []
    # SE zones fall under the national `nearest` rule: every FC is a candidate, nearest first.
    assert route(diff, "282").new_fcs[0] == "FC-CLT9"
    assert "FC-CLT9" in route(diff, "303").new_fcs
    assert {c.zone for c in diff.routes_changed} == {"282", "303"}


def test_semantic_diff__facility_removed__listed_with_its_lanes_and_candidates() -> None:
    new = (east_coast()
           .edit("network.yaml", "  - id: FC-BOS7\n    type: fc\n    lat: 42.05\n"
                 "    lon: -71.45\n    capacity: 120000\n", "")
           .edit("network.yaml", '    stock: "top 30%"          # a smaller building: only '
                 "the most popular SKUs\n", "")
           .edit("network.yaml", "  - {from: FC-BOS7, to: DS-BOS1}\n", "")
           .edit("network.yaml", "  - {from: FC-BOS7, to: SC-EWR2}\n", ""))

    diff = diff_of(east_coast(), new)

    assert diff.facilities_removed == ["FC-BOS7"]
    assert diff.lanes_removed == [("FC-BOS7", "DS-BOS1"), ("FC-BOS7", "SC-EWR2")]
    assert route(diff, "070").new_fcs == ("FC-EWR4",)  # unknown candidates are left out
    assert route(diff, "021").old_fcs == ("FC-BOS7", "FC-EWR4")
    assert route(diff, "021").new_fcs == ("FC-EWR4",)


def test_semantic_diff__lane_removed__fastest_path_goes_around() -> None:
    new = east_coast().edit("network.yaml", "  - {from: SC-BWI5, to: DS-PHL5}\n", "")

    diff = diff_of(east_coast(), new)

    assert diff.lanes_removed == [("SC-BWI5", "DS-PHL5")]
    assert [c.zone for c in diff.routes_changed] == ["191"]
    change = route(diff, "191")
    assert change.old_fcs == change.new_fcs == ("FC-BWI2",)
    assert change.old_path == ("FC-BWI2", "SC-BWI5", "DS-PHL5")
    assert change.new_path == ("FC-BWI2", "SC-BWI5", "SC-EWR2", "DS-PHL5")
    assert diff.route_groups() == [Group("FC-BWI2", "FC-BWI2", 1, "191")]


def test_semantic_diff__lane_removed_without_detour__path_becomes_empty() -> None:
    new = east_coast().edit("network.yaml",
                            "  - {from: SC-EWR2, to: DS-NYC3, truck_capacity: 1800}\n", "")

    diff = diff_of(east_coast(), new)

    assert [(c.zone, c.new_path) for c in diff.routes_changed] == [("100", ()), ("112", ())]


def test_semantic_diff__explicit_rule_reordered__candidates_and_via_path_change() -> None:
    new = east_coast().edit("routing.yaml", NEWARK_RULE, "fcs: [FC-BOS7, FC-EWR4]")

    diff = diff_of(east_coast(), new)

    change = route(diff, "070")
    assert (change.old_fcs, change.new_fcs) == (("FC-EWR4", "FC-BOS7"), ("FC-BOS7", "FC-EWR4"))
    assert change.old_path == ("FC-EWR4", "SC-EWR2", "DS-EWR9")
    assert change.new_path == ("FC-BOS7", "SC-EWR2", "DS-EWR9")
    assert diff.route_groups() == [Group("FC-EWR4", "FC-BOS7", 2, "070-071")]


def test_semantic_diff__via_dropped_for_same_hops__no_route_change() -> None:
    # FC-EWR4 -> SC-EWR2 -> DS-EWR9 is also the fastest path: the package travels the same way.
    new = east_coast().edit("routing.yaml", "    via: [SC-EWR2]           # through the Newark "
                            "sort centre\n", "")

    assert diff_of(east_coast(), new).is_empty


def test_semantic_diff__via_hop_without_lane__path_becomes_empty() -> None:
    # Given Newark's rule now goes via SC-BWI5, with no lane FC-EWR4 -> SC-BWI5 (E140)
    new = east_coast().edit("routing.yaml", "via: [SC-EWR2]", "via: [SC-BWI5]")

    # When the versions are compared
    diff = diff_of(east_coast(), new)

    # Then the path reads as broken (empty), as the checks, simulator and /route see it
    change = route(diff, "070")
    assert change.old_fcs == change.new_fcs == ("FC-EWR4", "FC-BOS7")
    assert (change.old_path, change.new_path) == (("FC-EWR4", "SC-EWR2", "DS-EWR9"), ())


def test_semantic_diff__via_hop_unknown__path_becomes_empty() -> None:
    new = east_coast().edit("routing.yaml", "via: [SC-EWR2]", "via: [SC-NOPE]")

    diff = diff_of(east_coast(), new)

    assert [(c.zone, c.new_path) for c in diff.routes_changed] == [("070", ()), ("071", ())]


def test_semantic_diff__facility_fields_and_region__changed_and_moved() -> None:
    new = (east_coast()
           .edit("network.yaml", "capacity: 120000\n    stock: \"top 30%\"",
                 "capacity: 150000\n    stock: all")
           .edit("regions.yaml", "[FC-BWI2, SC-BWI5,", "[SC-BWI5,")
           .edit("regions.yaml", "[FC-ATL6,", "[FC-ATL6, FC-BWI2,"))

    diff = diff_of(east_coast(), new)

    [changed] = diff.facilities_changed
    assert changed.key == "FC-BOS7"
    assert [(c.field, c.old, c.new) for c in changed.changes] == [
        ("capacity", 120000, 150000), ("stock", "top 30%", "all")]
    assert [(m.id, m.old_region, m.new_region) for m in diff.facilities_moved] == [
        ("FC-BWI2", "MA", "SE")]


def test_semantic_diff__stock_written_differently_same_meaning__no_change() -> None:
    new = east_coast().edit("network.yaml", 'stock: "top 30%"', 'stock: "top  30 %"')

    assert diff_of(east_coast(), new).is_empty


def test_semantic_diff__lane_hours_changed__lane_change_listed() -> None:
    new = east_coast().edit("network.yaml", "{from: FC-EWR4, to: SC-EWR2, km: 35, hours: 1.0}",
                            "{from: FC-EWR4, to: SC-EWR2, km: 35, hours: 2.5}")

    diff = diff_of(east_coast(), new)

    [changed] = diff.lanes_changed
    assert changed.as_text() == "FC-EWR4 -> SC-EWR2: hours 1.0 -> 2.5"


def test_semantic_diff__regions_added_removed_renamed__listed() -> None:
    new = (east_coast()
           .edit("regions.yaml", "name: Northeast", "name: North East")
           .edit("regions.yaml", "code: SE", "code: SO"))

    diff = diff_of(east_coast(), new)

    assert [(r.code, r.old_name, r.new_name) for r in diff.regions_renamed] == [
        ("NE", "Northeast", "North East")]
    assert (diff.regions_added, diff.regions_removed) == (["SO"], ["SE"])
    assert diff.zone_move_groups() == [Group("SE", "SO", 2, "282, 303")]


def test_semantic_diff__zone_added_removed_and_changed__listed() -> None:
    new = (east_coast()
           .edit("network.yaml", '{id: "024", lat: 42.33, lon: -71.21, station: DS-BOS1, '
                 "demand: 4000}", '{id: "025", lat: 42.33, lon: -71.21, station: DS-BOS1, '
                 "demand: 4000}")
           .edit("network.yaml", "DS-DCA1, demand: 7000", "DS-DCA1, demand: 7500"))

    diff = diff_of(east_coast(), new)

    assert (diff.zones_added, diff.zones_removed) == (["025"], ["024"])
    [changed] = diff.zones_changed
    assert changed.as_text() == "200: demand 7000 -> 7500"


def test_semantic_diff__policy_fallback_and_demand__old_and_new_values() -> None:
    new = (east_coast()
           .edit("regions.yaml", "sla_hours: 48", "sla_hours: 36")
           .edit("routing.yaml", "fallback: nearest", "fallback: none")
           .edit("demand.yaml", "zipf: 1.1", "zipf: 0.9"))

    diff = diff_of(east_coast(), new)

    assert [(c.field, c.old, c.new) for c in diff.settings_changed] == [
        ("policy.sla_hours", 48, 36), ("routing.fallback", "nearest", "none"),
        ("demand.zipf", 1.1, 0.9)]


def test_semantic_diff__demand_file_removed__whole_demand_old_and_none() -> None:
    diff = diff_of(east_coast(), east_coast().without("demand.yaml"))

    [change] = diff.settings_changed
    assert change.field == "demand"
    assert change.old == {"catalog": 100000, "zipf": 1.1, "items_per_order": 1.6, "seed": 7}
    assert change.new is None


def test_semantic_diff__bundle_with_findings__diffed_without_raising() -> None:
    # Versions with errors are stored too, so their diffs must work: an unknown station, a
    # duplicate facility id, a zone claimed twice and a route naming an unknown region.
    new = (east_coast()
           .edit("network.yaml", "station: DS-DCA1", "station: DS-NOPE")
           .insert_before("network.yaml", "  # Sort centres",
                          "  - {id: FC-EWR4, type: sc, lat: 1, lon: 1}\n")
           .edit("regions.yaml", '["150-219"]', '["150-219", "100"]')
           .edit("routing.yaml", "region: MA", "region: XX"))

    diff = diff_of(east_coast(), new)

    assert diff.zones_moved == []  # the first claim wins, as in the checks
    assert route(diff, "200").new_path == ()
    assert route(diff, "191").new_first == "FC-EWR4"  # MA's rule is gone: national nearest


def test_semantic_diff__as_dict__json_with_per_zone_details_capped() -> None:
    diff = diff_of(east_coast(), moved_ne_to_ma(east_coast()))

    data = diff.as_dict(limit=1)

    assert json.loads(json.dumps(data)) == data
    routes = data["routes"]
    assert routes["count"] == 2  # type: ignore[index]
    assert routes["changes"]["truncated"] == 1  # type: ignore[index]
    assert routes["changes"]["items"] == [{  # type: ignore[index]
        "zone": "100", "old_fcs": ["FC-EWR4", "FC-BOS7"], "new_fcs": ["FC-BWI2"],
        "old_path": ["FC-EWR4", "SC-EWR2", "DS-NYC3"],
        "new_path": ["FC-BWI2", "SC-BWI5", "SC-EWR2", "DS-NYC3"]}]


def test_candidate_matrix__every_zone__same_candidates_as_zone_router() -> None:
    for files in (east_coast(), moved_ne_to_ma(east_coast())):
        bundle = bundle_of(files)
        router = ZoneRouter(Assignment(bundle, NetworkIndex(bundle.network)))

        matrix = router.candidate_matrix()

        for zone in range(router.net.n_zones):
            row = matrix[zone]
            assert np.array_equal(row[row >= 0], router.candidates(zone)), zone


# --- text_diff and render_text ------------------------------------------------------------------


def test_text_diff__file_on_one_side_only__wholly_added_or_removed() -> None:
    old = {"a.yaml": "x: 1\n", "same.yaml": "s: 1\n"}
    new = {"b.yaml": "y: 2\n", "same.yaml": "s: 1\n"}

    files = text_diff(old, new)

    assert [(f.name, f.status) for f in files] == [("a.yaml", "removed"), ("b.yaml", "added")]
    assert files[0].diff == "--- a/a.yaml\n+++ b/a.yaml\n@@ -1 +0,0 @@\n-x: 1\n"
    assert files[1].diff == "--- a/b.yaml\n+++ b/b.yaml\n@@ -0,0 +1 @@\n+y: 2\n"


def test_text_diff__last_line_without_newline__marked() -> None:
    [file] = text_diff({"f.yaml": "a: 1\nb: 2"}, {"f.yaml": "a: 1\nb: 3"})

    assert file.diff.endswith("-b: 2\n\\ No newline at end of file\n"
                              "+b: 3\n\\ No newline at end of file\n")


def test_unified_diff__example_edits__same_as_difflib() -> None:
    old = east_coast()
    new = (moved_ne_to_ma(old)
           .edit("network.yaml", "  - {from: SC-BWI5, to: DS-PHL5}\n", "")
           .edit("network.yaml", "capacity: 120000", "capacity: 150000"))
    for name in ("network.yaml", "regions.yaml"):
        a = old.text(name).splitlines(keepends=True)
        b = new.text(name).splitlines(keepends=True)

        ours = "".join(unified_diff(a, b, name))

        assert ours == "".join(difflib.unified_diff(a, b, f"a/{name}", f"b/{name}", n=3))


edits = st.lists(st.tuples(st.integers(0, 400), st.sampled_from(["delete", "insert", "replace"]),
                           st.integers(1, 6)), max_size=8)


@given(edits)
def test_unified_diff__random_edits_of_block_yaml__patch_rebuilds_the_new_text(
    changes: list[tuple[int, str, int]],
) -> None:
    old = [line for n in range(100) for line in (f"  - from: FC-{n % 7}\n", f"    to: DS-{n}\n",
                                                 f"    km: {n % 5}\n", "    hours: 1\n")]
    new = list(old)
    for at, kind, size in changes:
        at = min(at, len(new))
        if kind != "insert":
            del new[at : at + size]
        if kind != "delete":
            new[at:at] = ["  - from: FC-NEW\n", f"    to: DS-{at}\n", *["    km: 9\n"] * size]

    patch = "".join(unified_diff(old, new, "lanes.yaml"))

    assert apply_patch(old, patch) == new


def apply_patch(old: list[str], patch: str) -> list[str]:
    """Apply a unified diff (context lines checked) to `old`."""
    out: list[str] = []
    position = 0
    for line in patch.splitlines(keepends=True)[2:]:
        if line.startswith("@@"):
            start = int(line.split()[1][1:].split(",")[0])
            length = line.split()[1].split(",")
            first = start - 1 if len(length) == 1 or length[1] != "0" else start
            out.extend(old[position:first])
            position = first
        elif line[0] in " -":
            assert old[position] == line[1:], (position, line)
            position += 1
            if line[0] == " ":
                out.append(line[1:])
        elif line[0] == "+":
            out.append(line[1:])
    return out + old[position:]


def test_render_text__changes_everywhere__headings_in_order_then_text_diff() -> None:
    old = east_coast()
    new = (moved_ne_to_ma(old)
           .insert_before("network.yaml", "  # Sort centres",
                          "  - {id: FC-CLT9, type: fc, lat: 35.20, lon: -80.90}\n")
           .edit("network.yaml", "  - {from: SC-BWI5, to: DS-PHL5}\n", "")
           .edit("regions.yaml", "sla_hours: 48", "sla_hours: 36"))

    report = render_text(diff_of(old, new), text_diff(texts(old), texts(new)))

    headings = ["Zones moved between regions", "Facilities", "Lanes", "Routes", "Policy",
                "--- a/network.yaml", "--- a/regions.yaml"]
    found = [report.index(heading) for heading in headings]
    assert found == sorted(found), report
    assert "  NE -> MA: 2 zones 100, 112" in report
    assert "  + FC-CLT9" in report
    assert "  - SC-BWI5 -> DS-PHL5" in report
    assert "  policy.sla_hours 48 -> 36" in report


def test_render_text__no_change__says_so() -> None:
    files = east_coast()

    report = render_text(diff_of(files, files), text_diff(texts(files), texts(files)))

    assert report == "No semantic change\n\nNo text change\n"


def test_render_text__comment_only__no_semantic_change_then_the_text_diff() -> None:
    old = east_coast()
    new = old.edit("demand.yaml", "seed: 7", "seed: 7  # fixed")

    report = render_text(diff_of(old, new), text_diff(texts(old), texts(new)))

    assert report.startswith("No semantic change\n\n--- a/demand.yaml\n+++ b/demand.yaml\n")
