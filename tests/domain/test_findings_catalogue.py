"""One test per finding code of DESIGN section 3, each on the east-coast example with one breakage.

Every test asserts the code, the file and the line of the YAML node a person would want to be
pointed at (and the column where that node is unambiguous). Where the spec leaves the node open,
the test accepts any line of the offending item and says in a comment which node it expected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Container
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout.domain.bundle import read_bundle_path
from rollout.domain.findings import CATALOGUE, Finding
from tests.domain.bundles import (
    EXAMPLES,
    BundleFiles,
    describe,
    east_coast,
    single_file_bundle,
    validate,
    where,
    with_code,
)

# A facility of no region, with no lanes at all, far from every zone (Seattle).
ISOLATED_FC = "  - {id: FC-ISO1, type: fc, lat: 47.60, lon: -122.33, capacity: 1000}\n"
ROUTING_END = "fallback: nearest"


def assert_finding(
    findings: list[Finding],
    code: str,
    file: str,
    line: int | Container[int],
    column: int | None = None,
) -> Finding:
    """The finding with `code` at file:line(:column); fails listing what was reported instead."""
    same_code = with_code(findings, code)
    assert same_code, f"no {code} reported; findings:\n{describe(findings)}"
    lines = (line,) if isinstance(line, int) else line
    at = [
        f for f in same_code
        if f.file == file and f.line in lines and (column is None or f.column == column)
    ]
    assert at, (
        f"no {code} at {file}:{line}:{column if column is not None else '*'}; "
        f"{code} reported at {where(same_code)}"
    )
    return at[0]


# ---------------------------------------------------------------------------------------------
# The baseline


def test_east_coast__validated__has_no_findings() -> None:
    # Given the valid example bundle
    files = east_coast()

    # When it is validated
    report = validate(files)

    # Then it is valid, with neither errors nor warnings
    assert report.valid, describe(report.findings)
    assert report.errors == 0
    assert report.findings == [], describe(report.findings)


def test_east_coast_as_single_file__validated__has_no_findings() -> None:
    # Given the example rewritten as one file with network/regions/routing/demand keys
    files = single_file_bundle()

    # When it is validated
    report = validate(files)

    # Then it is just as valid
    assert report.valid, describe(report.findings)
    assert report.findings == [], describe(report.findings)


# ---------------------------------------------------------------------------------------------
# E100, E101, E102: syntax, schema, duplicates


def test_e100__mapping_value_inside_a_plain_scalar__reported_at_its_line() -> None:
    # Given a region name with a second "key: value" colon in it
    files = east_coast().edit("regions.yaml", "name: Mid-Atlantic", "name: Mid-Atlantic: east")

    # When
    report = validate(files)

    # Then: a syntax error on that line (the column is the parser's to choose)
    line = files.line_of("regions.yaml", "Atlantic: east")
    assert_finding(report.findings, "E100", "regions.yaml", line)
    assert not report.valid


def test_e101__unknown_field_on_a_facility__reported_at_the_key() -> None:
    # Given a facility with a field the schema does not know
    files = east_coast().edit("network.yaml", "    capacity: 250000\n",
                              "    capacity: 250000\n    colour: red\n")

    # When
    report = validate(files)

    # Then: E101 at the unknown key itself
    line, column = files.position_of("network.yaml", "colour")
    found = assert_finding(report.findings, "E101", "network.yaml", line, column)
    assert "colour" in found.message


def test_e102__duplicate_facility_id__reported_at_the_second_facility() -> None:
    # Given a second facility with the id SC-EWR2
    duplicate = "  - {id: SC-EWR2, type: sc, lat: 40.71, lon: -74.18}\n"
    files = east_coast().insert_before("network.yaml", "  - {id: SC-BWI5", duplicate)

    # When
    report = validate(files)

    # Then: E102 on the second one (expected: its id value; its entry starts on the same line)
    line = files.line_of("network.yaml", duplicate.strip())
    found = assert_finding(report.findings, "E102", "network.yaml", line)
    assert "SC-EWR2" in found.message


def test_e102__duplicate_zone_id__reported_at_the_second_zone() -> None:
    # Given a second zone with the id "070"
    duplicate = '  - {id: "070", lat: 40.70, lon: -74.10, station: DS-EWR9}\n'
    files = east_coast().insert_before("network.yaml", '  - {id: "100"', duplicate)

    # When
    report = validate(files)

    # Then: E102 on the second one (expected: its id value; its entry starts on the same line)
    line = files.line_of("network.yaml", duplicate.strip())
    found = assert_finding(report.findings, "E102", "network.yaml", line)
    assert "070" in found.message


def test_e102__duplicate_region_code__reported_at_the_second_code() -> None:
    # Given the third region renamed to the second region's code
    files = east_coast().edit("regions.yaml", "code: SE", "code: MA")
    text = files.text("regions.yaml")

    # When
    report = validate(files)

    # Then: E102 at the second "code: MA" (its value; the region's entry starts on that line)
    line = text.count("\n", 0, text.rindex("code: MA")) + 1
    found = assert_finding(report.findings, "E102", "regions.yaml", line)
    assert "MA" in found.message


def test_e102__duplicate_yaml_key__reported_at_the_second_key() -> None:
    # Given a region mapping that names the key `name` twice
    files = east_coast().edit("regions.yaml", "    name: Mid-Atlantic\n",
                              "    name: Mid-Atlantic\n    name: Again\n")

    # When
    report = validate(files)

    # Then: E102 at the second key, not at the first
    line, column = files.position_of("regions.yaml", "name: Again")
    found = assert_finding(report.findings, "E102", "regions.yaml", line, column)
    assert "name" in found.message


# ---------------------------------------------------------------------------------------------
# E110: references to unknown things, one test per kind of reference


def test_e110__unknown_facility_in_a_region__reported_at_the_list_item() -> None:
    # Given region MA listing a facility the network does not have
    files = east_coast().edit("regions.yaml", "[FC-BWI2, SC-BWI5,", "[FC-BWI2, SC-XXX9, SC-BWI5,")

    # When
    report = validate(files)

    # Then
    line, column = files.position_of("regions.yaml", "SC-XXX9")
    found = assert_finding(report.findings, "E110", "regions.yaml", line, column)
    assert "SC-XXX9" in found.message


def test_e110__unknown_station_of_a_zone__reported_at_the_station_value() -> None:
    # Given zone 282 served by a station that does not exist
    files = east_coast().edit("network.yaml", "station: DS-CLT4", "station: DS-CLT9")

    # When
    report = validate(files)

    # Then
    line, column = files.position_of("network.yaml", "DS-CLT9")
    found = assert_finding(report.findings, "E110", "network.yaml", line, column)
    assert "DS-CLT9" in found.message


def test_e110__unknown_region_in_a_route__reported_at_the_region_value() -> None:
    # Given a route for region MX, which regions.yaml does not define
    files = east_coast().edit("routing.yaml", "  - region: MA\n", "  - region: MX\n")

    # When
    report = validate(files)

    # Then
    line, column = files.position_of("routing.yaml", "MX")
    found = assert_finding(report.findings, "E110", "routing.yaml", line, column)
    assert "MX" in found.message


def test_e110__unknown_zone_id_in_a_region__reported_at_the_zone_item() -> None:
    # Given region SE claiming a single zone id that no zone has
    files = east_coast().edit("regions.yaml", '["270-319"]', '["270-319", "999"]')

    # When
    report = validate(files)

    # Then: at the item (its opening quote)
    line, column = files.position_of("regions.yaml", '"999"')
    found = assert_finding(report.findings, "E110", "regions.yaml", line, column)
    assert "999" in found.message


def test_e110__unknown_fc_in_a_route_candidates__reported_at_the_candidate() -> None:
    # Given an explicit candidate list naming a facility that does not exist
    files = east_coast().edit("routing.yaml", "[FC-EWR4, FC-BOS7]", "[FC-EWR4, FC-NOPE, FC-BOS7]")

    # When
    report = validate(files)

    # Then
    line, column = files.position_of("routing.yaml", "FC-NOPE")
    found = assert_finding(report.findings, "E110", "routing.yaml", line, column)
    assert "FC-NOPE" in found.message


def test_e110__lane_to_an_unknown_facility__reported_at_the_lane_end() -> None:
    # Given a lane into a facility that does not exist
    files = east_coast().edit("network.yaml", "{from: SC-ATL3, to: DS-CLT4}",
                              "{from: SC-ATL3, to: DS-CLT9}")

    # When
    report = validate(files)

    # Then: at the lane's `to` value
    line, column = files.position_of("network.yaml", "DS-CLT9")
    found = assert_finding(report.findings, "E110", "network.yaml", line, column)
    assert "DS-CLT9" in found.message


# ---------------------------------------------------------------------------------------------
# E111: malformed ranges


def test_e111__range_ends_of_different_width__reported_at_the_range() -> None:
    # Given "070-06": a 3-digit and a 2-digit end
    files = east_coast().edit("regions.yaml", '"070-089"', '"070-06"')

    # When
    report = validate(files)

    # Then: at the selector (its opening quote)
    line, column = files.position_of("regions.yaml", '"070-06"')
    found = assert_finding(report.findings, "E111", "regions.yaml", line, column)
    assert "070-06" in found.message


def test_e111__range_with_reversed_bounds__reported_at_the_range() -> None:
    # Given "069-010": first bound above the last
    files = east_coast().edit("regions.yaml", '"010-069"', '"069-010"')

    # When
    report = validate(files)

    # Then
    line, column = files.position_of("regions.yaml", '"069-010"')
    found = assert_finding(report.findings, "E111", "regions.yaml", line, column)
    assert "069-010" in found.message


# ---------------------------------------------------------------------------------------------
# E120, E121, E122: ownership


def test_e120__zone_in_no_region__reported_at_the_zone() -> None:
    # Given a zone "400" that no region's zone list covers
    zone = '  - {id: "400", lat: 34.00, lon: -84.00, station: DS-ATL2, demand: 1000}\n'
    files = east_coast().insert_before("network.yaml", '  - {id: "282"', zone)

    # When
    report = validate(files)

    # Then: at the zone (expected: its entry or its id; both start on this line)
    line = files.line_of("network.yaml", zone.strip())
    found = assert_finding(report.findings, "E120", "network.yaml", line)
    assert "400" in found.message


def test_e121__zone_in_two_regions__reported_at_the_second_claim() -> None:
    # Given region SE also claiming zone "191", which MA's "150-219" already claims
    files = east_coast().edit("regions.yaml", '["270-319"]', '["270-319", "191"]')

    # When
    report = validate(files)

    # Then: at SE's zone entry that claims the already-claimed zone
    line, column = files.position_of("regions.yaml", '"191"')
    found = assert_finding(report.findings, "E121", "regions.yaml", line, column)
    assert "191" in found.message


def test_e122__facility_in_two_regions__reported_at_the_second_listing() -> None:
    # Given region SE also listing FC-BWI2, which MA lists
    files = east_coast().edit("regions.yaml", "[FC-ATL6, SC-ATL3,", "[FC-ATL6, FC-BWI2, SC-ATL3,")

    # When
    report = validate(files)

    # Then: at SE's list item
    line, column = files.position_of("regions.yaml", "FC-BWI2, SC-ATL3")
    found = assert_finding(report.findings, "E122", "regions.yaml", line, column)
    assert "FC-BWI2" in found.message


# ---------------------------------------------------------------------------------------------
# E130, E131: regions and their facilities


def test_e130__region_without_fc__reported_at_the_region() -> None:
    # Given region SE listing no fulfilment centre
    files = east_coast().edit("regions.yaml", "[FC-ATL6, SC-ATL3,", "[SC-ATL3,")

    # When
    report = validate(files)

    # Then: at SE's entry in regions.yaml (the line of "- code: SE")
    found = assert_finding(report.findings, "E130", "regions.yaml",
                           files.line_of("regions.yaml", "code: SE"))
    assert "SE" in found.message


def test_e131__station_reachable_only_through_another_region__reported_in_the_region() -> None:
    # Given DS-CLT4 (region SE) fed only from SC-BWI5 (region MA): FC-ATL6 reaches it, but not
    # through lanes inside SE
    files = east_coast().edit("network.yaml", "{from: SC-ATL3, to: DS-CLT4}",
                              "{from: SC-BWI5, to: DS-CLT4}")

    # When
    report = validate(files)

    # Then: in SE's entry in regions.yaml (expected: DS-CLT4 in its facilities list)
    found = assert_finding(report.findings, "E131", "regions.yaml",
                           files.lines_of("regions.yaml", "code: SE", lines=4))
    assert "DS-CLT4" in found.message


# ---------------------------------------------------------------------------------------------
# E140, E141, E142, E143: routes


def test_e140__via_hop_without_lane__reported_in_the_via_list() -> None:
    # Given the Newark route forced through SC-BWI5: no lane FC-EWR4 -> SC-BWI5 nor
    # SC-BWI5 -> DS-EWR9
    files = east_coast().edit("routing.yaml", "via: [SC-EWR2]", "via: [SC-BWI5]")

    # When
    report = validate(files)

    # Then: on the via line (expected: the hop SC-BWI5 that no lane reaches)
    assert_finding(report.findings, "E140", "routing.yaml", files.line_of("routing.yaml", "via:"))


def test_e141__candidate_fc_without_path_to_station__reported_at_the_candidate() -> None:
    # Given an FC with no lanes at all, the only candidate of a route for zone 303
    files = (
        east_coast()
        .insert_before("network.yaml", "  # Sort centres", ISOLATED_FC)
        .edit("regions.yaml", "[FC-ATL6, ", "[FC-ATL6, FC-ISO1, ")
        .insert_before("routing.yaml", ROUTING_END, '  - zones: ["303"]\n    fcs: [FC-ISO1]\n')
    )

    # When
    report = validate(files)

    # Then: at the route's candidate
    line, column = files.position_of("routing.yaml", "FC-ISO1")
    found = assert_finding(report.findings, "E141", "routing.yaml", line, column)
    assert "FC-ISO1" in found.message


def test_e142__candidate_is_a_sort_centre__reported_at_the_candidate() -> None:
    # Given a sort centre as the second candidate of the Newark route
    files = east_coast().edit("routing.yaml", "[FC-EWR4, FC-BOS7]", "[FC-EWR4, SC-EWR2]")

    # When
    report = validate(files)

    # Then
    line, column = files.position_of("routing.yaml", "[FC-EWR4, SC-EWR2]")
    column += len("[FC-EWR4, ")
    found = assert_finding(report.findings, "E142", "routing.yaml", line, column)
    assert "SC-EWR2" in found.message


def test_e143__zone_without_route__reported_at_the_zone() -> None:
    # Given no national rule, and zone 303 (but not 282) routed explicitly
    files = (
        east_coast()
        .edit("routing.yaml", '  - region: "*"', '  - zones: ["303"]')
        .edit("routing.yaml", "    fcs: nearest\n", "    fcs: [FC-ATL6]\n")
    )

    # When
    report = validate(files)

    # Then: at zone 282's entry in network.yaml, and only there
    line = files.line_of("network.yaml", '{id: "282"')
    found = assert_finding(report.findings, "E143", "network.yaml", line)
    assert "282" in found.message
    assert len(with_code(report.findings, "E143")) == 1, where(report.findings)


# ---------------------------------------------------------------------------------------------
# Warnings


def test_w150__first_candidate_in_another_region__reported_at_the_candidate() -> None:
    # Given zone 303 (region SE) routed to FC-BWI2 (region MA) first
    files = east_coast().insert_before("routing.yaml", ROUTING_END,
                                       '  - zones: ["303"]\n    fcs: [FC-BWI2, FC-ATL6]\n')

    # When
    report = validate(files)

    # Then: a warning at the first candidate; warnings alone keep the bundle valid
    line, column = files.position_of("routing.yaml", "FC-BWI2")
    found = assert_finding(report.findings, "W150", "routing.yaml", line, column)
    assert found.severity == "warning"
    assert report.valid, describe(report.findings)


def test_w151__via_path_through_another_regions_facility__reported_in_the_route() -> None:
    # Given zone 191 (MA) routed from FC-BWI2 (MA) via SC-EWR2 (NE)
    route = '  - zones: ["191"]\n    fcs: [FC-BWI2]\n    via: [SC-BWI5, SC-EWR2]\n'
    files = east_coast().insert_before("routing.yaml", ROUTING_END, route)

    # When
    report = validate(files)

    # Then: within that route (expected: the via hop SC-EWR2)
    found = assert_finding(report.findings, "W151", "routing.yaml",
                           files.lines_of("routing.yaml", '- zones: ["191"]', lines=3))
    assert found.severity == "warning"
    assert "SC-EWR2" in found.message


def test_w160__region_capacity_below_demand__reported_at_the_region() -> None:
    # Given FC-ATL6 shrunk to 10,000/day while region SE orders 13,000/day
    files = east_coast().edit("network.yaml", "    capacity: 200000\n    stock:",
                              "    capacity: 10000\n    stock:")

    # When
    report = validate(files)

    # Then: within SE's entry in regions.yaml (expected: the entry, the "- code: SE" line)
    found = assert_finding(report.findings, "W160", "regions.yaml",
                           files.lines_of("regions.yaml", "code: SE", lines=4))
    assert found.severity == "warning"
    assert "SE" in found.message


def test_w170__route_slower_than_sla__reported_in_the_route() -> None:
    # Given a 60-hour lane into DS-CLT4 (SLA 48 h) and an explicit route for its zone 282
    files = (
        east_coast()
        .edit("network.yaml", "{from: SC-ATL3, to: DS-CLT4}",
              "{from: SC-ATL3, to: DS-CLT4, hours: 60}")
        .insert_before("routing.yaml", ROUTING_END, '  - zones: ["282"]\n    fcs: [FC-ATL6]\n')
    )

    # When
    report = validate(files)

    # Then: within that route (expected: its entry or its candidate)
    found = assert_finding(report.findings, "W170", "routing.yaml",
                           files.lines_of("routing.yaml", '- zones: ["282"]', lines=2))
    assert found.severity == "warning"


# ---------------------------------------------------------------------------------------------
# Shape of the report and of positions


def test_report_as_dict__broken_bundle__has_the_contract_json_shape() -> None:
    # Given a bundle with one error and one warning
    files = (
        east_coast()
        .edit("network.yaml", "station: DS-CLT4", "station: DS-CLT9")
        .insert_before("routing.yaml", ROUTING_END,
                       '  - zones: ["303"]\n    fcs: [FC-BWI2, FC-ATL6]\n')
    )

    # When
    data = validate(files).as_dict()

    # Then
    assert set(data) == {"valid", "errors", "warnings", "findings"}
    assert data["valid"] is False
    findings = data["findings"]
    assert isinstance(findings, list)
    assert data["errors"] == sum(1 for f in findings if f["severity"] == "error") >= 1
    assert data["warnings"] == sum(1 for f in findings if f["severity"] == "warning") >= 1
    for item in findings:
        assert set(item) == {"code", "severity", "message", "file", "line", "column", "hint"}
        assert item["severity"] in ("error", "warning")
        assert isinstance(item["line"], int)
        assert isinstance(item["column"], int)


def test_single_file_bundle__unknown_station__reported_at_its_position_in_that_file() -> None:
    # Given the example as one file, with an unknown station
    files = single_file_bundle(
        east_coast().edit("network.yaml", "station: DS-CLT4", "station: DS-CLT9"),
        name="east.yaml",
    )

    # When
    report = validate(files)

    # Then: the position is in east.yaml, where the node is in the combined text
    line, column = files.position_of("east.yaml", "DS-CLT9")
    assert_finding(report.findings, "E110", "east.yaml", line, column)
    assert {f.file for f in report.findings} == {"east.yaml"}


def test_single_file_bundle__region_in_two_regions__reported_in_the_regions_section() -> None:
    # Given the example as one file, where SE also claims zone "191"
    files = single_file_bundle(
        east_coast().edit("regions.yaml", '["270-319"]', '["270-319", "191"]'))

    # When
    report = validate(files)

    # Then
    line, column = files.position_of("bundle.yaml", '"270-319", "191"')
    column += len('"270-319", ')
    assert_finding(report.findings, "E121", "bundle.yaml", line, column)


def _network(old: str, new: str) -> Callable[[], BundleFiles]:
    return lambda: east_coast().edit("network.yaml", old, new)


def _regions(old: str, new: str) -> Callable[[], BundleFiles]:
    return lambda: east_coast().edit("regions.yaml", old, new)


def _routing(old: str, new: str) -> Callable[[], BundleFiles]:
    return lambda: east_coast().edit("routing.yaml", old, new)


BREAKAGES: dict[str, Callable[[], BundleFiles]] = {
    "syntax": _regions("name: Mid-Atlantic", "name: Mid-Atlantic: east"),
    "unknown-field": _network("    capacity: 250000\n", "    capacity: 250000\n    colour: red\n"),
    "duplicate-key": _regions("    name: Mid-Atlantic\n", "    name: Mid-Atlantic\n    name: X\n"),
    "duplicate-code": _regions("code: SE", "code: MA"),
    "unknown-station": _network("station: DS-CLT4", "station: DS-CLT9"),
    "unknown-region": _routing("  - region: MA\n", "  - region: MX\n"),
    "bad-range": _regions('"070-089"', '"070-06"'),
    "reversed-range": _regions('"010-069"', '"069-010"'),
    "two-regions": _regions('["270-319"]', '["270-319", "191"]'),
    "no-fc": _regions("[FC-ATL6, SC-ATL3,", "[SC-ATL3,"),
    "via-without-lane": _routing("via: [SC-EWR2]", "via: [SC-BWI5]"),
    "sc-candidate": _routing("[FC-EWR4, FC-BOS7]", "[FC-EWR4, SC-EWR2]"),
    "no-routes": _routing('  - region: "*"', '  - zones: ["303"]'),
    "no-station-lane": _network("  - {from: SC-ATL3, to: DS-CLT4}\n", ""),
    "tiny-sla": _regions("sla_hours: 48", "sla_hours: 0.01"),
    "list-for-network": lambda: east_coast().with_file("network.yaml", "- 1\n- 2\n"),
    "empty-routing": lambda: east_coast().with_file("routing.yaml", ""),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_findings__any_breakage__positions_are_one_based_and_inside_a_bundle_file(
    breakage: str,
) -> None:
    # Given a bundle broken in some way, as a directory and as a single file
    for files in (BREAKAGES[breakage](), single_file_bundle(BREAKAGES[breakage]())):
        # When
        report = validate(files)

        # Then: something is reported, and every finding points into a real file, 1-based
        assert report.findings, f"{breakage}: nothing reported"
        for item in report.findings:
            assert item.file in files, f"{breakage}: {item.as_text()}"
            assert item.line >= 1, f"{breakage}: {item.as_text()}"
            assert item.column >= 1, f"{breakage}: {item.as_text()}"
            line_count = files[item.file].count(b"\n") + 1
            assert item.line <= line_count, f"{breakage}: {item.as_text()}"


# ---------------------------------------------------------------------------------------------
# examples/broken: each bundle says in its broken file what it should produce:
# `# expect: CODE` on the first line, and `# <- CODE` at the end of the line to be pointed at.

BROKEN = EXAMPLES / "broken"
BROKEN_BUNDLES = sorted(path for path in BROKEN.iterdir() if path.is_dir())
_EXPECT = re.compile(r"\A#\s*expect:\s*([A-Z]\d{3}(?:\s*,\s*[A-Z]\d{3})*)\s*$")
_MARKER = re.compile(r"#\s*<-\s*([A-Z]\d{3})\s*$")


def _expectations(files: BundleFiles) -> list[tuple[str, str, int | None]]:
    """(code, file, marked line or None) from the `# expect:` file of a broken example."""
    expected: list[tuple[str, str, int | None]] = []
    for name in sorted(files):
        lines = files.text(name).splitlines()
        header = _EXPECT.match(lines[0]) if lines else None
        if header is None:
            continue
        marked = {m.group(1): number for number, text in enumerate(lines, start=1)
                  if (m := _MARKER.search(text))}
        for code in (c.strip() for c in header.group(1).split(",")):
            expected.append((code, name, marked.get(code)))
    return expected


def test_broken_examples__present__at_least_three() -> None:
    # Given / When / Then: the examples exist, so the parametrized test below is not vacuous
    assert len(BROKEN_BUNDLES) >= 3


@pytest.mark.parametrize("bundle", BROKEN_BUNDLES, ids=lambda path: path.name)
def test_broken_example__validated__reports_the_finding_its_comment_names(bundle: Path) -> None:
    # Given a broken example read from disk like `manage.py validate` would
    files = BundleFiles(read_bundle_path(bundle))
    expected = _expectations(files)
    assert expected, f"{bundle.name}: no file starts with '# expect: CODE'"

    # When
    report = validate(files)

    # Then: each expected code, in that file, at the marked line when one is marked
    assert not report.valid
    for code, file, line in expected:
        if line is None:
            assert any(f.code == code and f.file == file for f in report.findings), (
                f"{bundle.name}: no {code} in {file}:\n{describe(report.findings)}")
        else:
            assert_finding(report.findings, code, file, line)


# ---------------------------------------------------------------------------------------------
# Robustness: random small bundles, schema-valid but otherwise anything, never crash the checks

_FACILITY_IDS = [f"{kind}-{n}" for kind in ("FC", "SC", "DS") for n in range(3)]
_ZONE_IDS = ["001", "002", "010", "011", "099", "A1"]
_CODES = ["N", "S", "E"]
_ZONE_SELECTORS = [*_ZONE_IDS, "000-009", "010-019", "000-099", "09-1", "019-010", "777"]


@st.composite
def small_bundles(draw: st.DrawFn) -> dict[str, bytes]:
    ids = draw(st.lists(st.sampled_from(_FACILITY_IDS), unique=True, max_size=9))
    coordinates = st.floats(min_value=30, max_value=45, allow_nan=False)
    facilities = [
        {"id": fid, "type": fid[:2].lower(), "lat": draw(coordinates),
         "lon": -draw(coordinates) * 2,
         **({"capacity": draw(st.integers(0, 10_000))} if draw(st.booleans()) else {})}
        for fid in ids
    ]
    facility_refs = st.sampled_from([*_FACILITY_IDS, "XX-9"])
    zones = [
        {"id": zid, "lat": draw(coordinates), "lon": -draw(coordinates) * 2,
         "station": draw(facility_refs), "demand": draw(st.integers(0, 5_000))}
        for zid in draw(st.lists(st.sampled_from(_ZONE_IDS), max_size=6))
    ]
    lanes = [
        {"from": draw(facility_refs), "to": draw(facility_refs),
         **({"hours": draw(st.floats(0.1, 100))} if draw(st.booleans()) else {})}
        for _ in range(draw(st.integers(0, 12)))
    ]
    regions = [
        {"code": code, "name": code,
         "zones": draw(st.lists(st.sampled_from(_ZONE_SELECTORS), max_size=3)),
         "facilities": draw(st.lists(facility_refs, max_size=4))}
        for code in draw(st.lists(st.sampled_from(_CODES), max_size=3))
    ]
    fcs = st.sampled_from(["nearest", "nearest_in_region"]) | st.lists(
        facility_refs, min_size=1, max_size=3)
    routes = []
    for _ in range(draw(st.integers(0, 4))):
        route: dict[str, object] = {"fcs": draw(fcs)}
        if draw(st.booleans()):
            route["region"] = draw(st.sampled_from(["*", *_CODES, "Q"]))
        else:
            route["zones"] = draw(st.lists(st.sampled_from(_ZONE_SELECTORS), max_size=2))
        if draw(st.booleans()):
            route["via"] = draw(st.lists(facility_refs, max_size=2))
        routes.append(route)
    policy = {"sla_hours": draw(st.floats(0.5, 50))}
    sections = {
        "network.yaml": {"facilities": facilities, "zones": zones, "lanes": lanes},
        "regions.yaml": {"regions": regions, "policy": policy},
        "routing.yaml": {"routes": routes,
                         "fallback": draw(st.sampled_from(["nearest", "none"]))},
    }
    return {name: json.dumps(data, indent=2).encode() for name, data in sections.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bundles())
def test_validate__random_small_bundle__findings_with_positions_never_an_exception(
    files: dict[str, bytes],
) -> None:
    # Given any schema-valid small bundle, references and all chosen at random

    # When
    report = validate(files)

    # Then: no exception, and every finding is a catalogued code at a real place
    for item in report.findings:
        assert item.code in CATALOGUE, item.as_text()
        assert item.file in files, item.as_text()
        assert 1 <= item.line <= files[item.file].count(b"\n") + 1, item.as_text()
        assert item.column >= 1, item.as_text()


def test_validate__zones_but_no_facilities__findings_not_an_exception() -> None:
    # Given a network with one zone and no facilities at all (a half-written first draft)
    files = BundleFiles({
        "network.yaml": b'facilities: []\nzones:\n  - {id: "001", lat: 30.0, lon: -60.0, '
                        b"station: DS-1}\n",
        "regions.yaml": b"regions: []\n",
        "routing.yaml": b"routes: []\n",
    })

    # When
    report = validate(files)

    # Then: the zone's problems are reported (unknown station, no region, no route)
    codes = {f.code for f in report.findings}
    assert {"E110", "E120", "E143"} <= codes, describe(report.findings)
