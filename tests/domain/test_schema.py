"""Schema errors (E101): the message names the problem, the hint says how to fix it, and the
position points at the offending node. These run the loader and the schema only, not the checks.
"""

from __future__ import annotations

import pytest

from rollout.domain.findings import Finding
from rollout.domain.schema import Facility, StockAll, StockRanges, StockTop, parse_stock
from tests.domain.bundles import (
    BundleFiles,
    east_coast,
    parse_findings,
    single_file_bundle,
    single_file_text,
    where,
)


def only_e101(files: BundleFiles) -> Finding:
    findings = parse_findings(files)
    assert [f.code for f in findings] == ["E101"], where(findings)
    return findings[0]


# ---------------------------------------------------------------------------------------------
# Unknown fields: at the key, with the allowed fields as the hint


@pytest.mark.parametrize(
    ("file", "old", "new", "unknown", "allowed"),
    [
        ("network.yaml", "    capacity: 250000\n", "    capacity: 250000\n    colour: red\n",
         "colour", "id, type, lat, lon, capacity, stock"),
        ("network.yaml", "{from: FC-BOS7, to: DS-BOS1}", "{from: FC-BOS7, to: DS-BOS1, speed: 3}",
         "speed", "from, to, km, hours, truck_capacity"),
        ("network.yaml", '{id: "024",', '{id: "024", county: x,',
         "county", "id, lat, lon, station, demand"),
        ("regions.yaml", "    name: Southeast\n", "    name: Southeast\n    colour: red\n",
         "colour", "code, name, zones, facilities"),
        ("regions.yaml", "  sla_hours: 48", "  sla_hours: 48\n  sla_minutes: 5",
         "sla_minutes", "sla_hours"),
        ("routing.yaml", "    via: [SC-EWR2]", "    via: [SC-EWR2]\n    hops: 2",
         "hops", "region, zones, fcs, via"),
        ("demand.yaml", "seed: 7", "seed: 7\norders: 5",
         "orders", "catalog, zipf, items_per_order, seed"),
    ],
)
def test_unknown_field__any_section__e101_at_the_key_with_allowed_fields_as_hint(
    file: str, old: str, new: str, unknown: str, allowed: str,
) -> None:
    # Given a field the schema does not know
    files = east_coast().edit(file, old, new)

    # When
    found = only_e101(files)

    # Then
    assert (found.file, found.line, found.column) == (file, *files.position_of(file, f"{unknown}:"))
    assert f"unknown field '{unknown}'" in found.message
    assert found.hint == f"allowed: {allowed}"


def test_unknown_top_level_key__single_file_bundle__e101_at_the_key_listing_sections() -> None:
    # Given a single-file bundle with an extra top-level key
    files = single_file_bundle(extra={"extras": "colour: red\n"})

    # When
    found = only_e101(files)

    # Then
    line, column = files.position_of("bundle.yaml", "extras:")
    assert (found.file, found.line, found.column) == ("bundle.yaml", line, column)
    assert "extras" in found.message
    assert found.hint is not None
    for section in ("network", "regions", "routing", "demand"):
        assert section in found.hint


def test_unknown_field__single_file_bundle_list_form__e101_at_its_line_in_the_file() -> None:
    # Given a single file whose routing section is written as the bare list of routes
    source = east_coast()
    text = single_file_text({
        "network": source.text("network.yaml"),
        "regions": source.text("regions.yaml"),
        "routing": '- region: "*"\n  fcs: nearest\n  colour: red\n',
    })
    files = BundleFiles({"bundle.yaml": text.encode()})

    # When
    found = only_e101(files)

    # Then
    line, column = files.position_of("bundle.yaml", "colour:")
    assert (found.file, found.line, found.column) == ("bundle.yaml", line, column)
    assert found.hint == "allowed: region, zones, fcs, via"


# ---------------------------------------------------------------------------------------------
# Missing fields, files and sections


def test_missing_field__block_facility__e101_at_the_facility_naming_the_field() -> None:
    # Given FC-EWR4 without its latitude
    files = east_coast().edit("network.yaml", "    lat: 40.52\n", "")

    # When
    found = only_e101(files)

    # Then: at the facility's mapping (its first key), which is where `lat` belongs
    assert (found.file, found.line, found.column) == (
        "network.yaml", *files.position_of("network.yaml", "id: FC-EWR4"))
    assert "missing field 'lat'" in found.message


def test_missing_field__flow_zone__e101_on_the_zone_line() -> None:
    # Given zone 021 without its latitude
    files = east_coast().edit("network.yaml", '{id: "021", lat: 42.36, ', '{id: "021", ')

    # When
    found = only_e101(files)

    # Then: on the zone's line (at its brace or first key)
    line, brace = files.position_of("network.yaml", '{id: "021"')
    assert (found.file, found.line) == ("network.yaml", line)
    assert found.column in (brace, brace + 1)
    assert "missing field 'lat'" in found.message


def test_missing_field__region_name__e101_at_the_region() -> None:
    # Given region SE without a name
    files = east_coast().edit("regions.yaml", "    name: Southeast\n", "")

    # When
    found = only_e101(files)

    # Then
    assert (found.file, found.line, found.column) == (
        "regions.yaml", *files.position_of("regions.yaml", "code: SE"))
    assert "missing field 'name'" in found.message


def test_missing_file__directory_bundle_without_routing__e101_naming_the_file() -> None:
    # Given a directory bundle without routing.yaml
    files = east_coast().without("routing.yaml")

    # When
    found = only_e101(files)

    # Then: the message and hint name it; the position is the start of a file, not a random
    # place (expected: routing.yaml itself, or no file at all, rather than another file)
    assert "routing.yaml" in found.message
    assert found.hint is not None
    assert (found.line, found.column) == (1, 1)
    assert found.file in ("routing.yaml", "")


def test_missing_section__single_file_bundle_without_routing__e101_at_line_one() -> None:
    # Given a single file without the routing key
    source = east_coast()
    files = single_file_bundle(source.without("routing.yaml"))

    # When
    found = only_e101(files)

    # Then
    assert (found.file, found.line, found.column) == ("bundle.yaml", 1, 1)
    assert "routing" in found.message


def test_unexpected_file_name__directory_bundle__e101() -> None:
    # Given a bundle with a file that is not a section
    files = east_coast().with_file("notes.yaml", "x: 1\n")

    # When
    findings = parse_findings(files)

    # Then
    assert [f.code for f in findings] == ["E101"], where(findings)
    assert "notes.yaml" in findings[0].message


def test_wrong_top_level__network_file_holding_a_list__e101_expected_a_mapping() -> None:
    # Given network.yaml holding a list instead of a mapping
    files = east_coast().with_file("network.yaml", "- 1\n- 2\n")

    # When
    found = only_e101(files)

    # Then
    assert (found.file, found.line) == ("network.yaml", 1)
    assert "mapping" in found.message


# ---------------------------------------------------------------------------------------------
# Wrong types


def test_wrong_type__quoted_latitude__e101_at_the_value_hinting_no_quotes() -> None:
    # Given a latitude written as a string
    files = east_coast().edit("network.yaml", "    lat: 40.52\n", '    lat: "40.52"\n')

    # When
    found = only_e101(files)

    # Then: at the opening quote
    assert (found.file, found.line, found.column) == (
        "network.yaml", *files.position_of("network.yaml", '"40.52"'))
    assert "expected a number" in found.message
    assert found.hint is not None
    assert "without quotes" in found.hint


def test_wrong_type__word_for_a_number__e101_without_a_quoting_hint() -> None:
    # Given a seed written as a word (nothing to do with quotes)
    files = east_coast().edit("demand.yaml", "seed: 7", "seed: seven")

    # When
    found = only_e101(files)

    # Then
    assert (found.file, found.line, found.column) == (
        "demand.yaml", *files.position_of("demand.yaml", "seven"))
    assert "expected a whole number" in found.message
    assert found.hint is None or "quote" not in found.hint


@pytest.mark.parametrize(("written", "read_as"), [("021", "21"), ("100", "100")])
def test_wrong_type__unquoted_numeric_zone_id__e101_hinting_to_quote_zone_ids(
    written: str, read_as: str,
) -> None:
    # Given a zone id written without quotes (021 reads as the number 21)
    files = east_coast().edit("network.yaml", f'{{id: "{written}",', f"{{id: {written},")

    # When
    found = only_e101(files)

    # Then
    line, column = files.position_of("network.yaml", f"{{id: {written},")
    assert (found.file, found.line, found.column) == ("network.yaml", line, column + len("{id: "))
    assert read_as in found.message
    assert found.hint is not None
    assert "quote numeric zone ids" in found.hint


def test_wrong_type__list_for_a_station__e101_at_the_value() -> None:
    # Given a zone with a list of stations
    files = east_coast().edit("network.yaml", "station: DS-CLT4", "station: [DS-CLT4]")

    # When
    found = only_e101(files)

    # Then: on the station (expected: the list; its key `station` is acceptable for a container)
    line, value_column = files.position_of("network.yaml", "[DS-CLT4]")
    key_column = value_column - len("station: ")
    assert (found.file, found.line) == ("network.yaml", line)
    assert found.column in (key_column, value_column)
    assert "expected a string" in found.message


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("    type: fc\n    lat: 40.52", "    type: fulfilment\n    lat: 40.52", "fulfilment\n",
         "'fc', 'sc' or 'ds'"),
        ("fcs: nearest\n", "fcs: closest\n", "closest", "nearest_in_region"),
        ("fallback: nearest", "fallback: never", "never", "'none'"),
    ],
)
def test_bad_value__not_one_of_the_allowed__e101_listing_them(
    old: str, new: str, needle: str, words: str,
) -> None:
    # Given a value outside its field's allowed set
    file = "routing.yaml" if "fcs" in old or "fallback" in old else "network.yaml"
    files = east_coast().edit(file, old, new)

    # When
    found = only_e101(files)

    # Then
    assert (found.file, found.line, found.column) == (file, *files.position_of(file, needle))
    assert words in found.message


def test_bad_value__lowercase_region_code__e101_hinting_allowed_characters() -> None:
    # Given a region code in lower case
    files = east_coast().edit("regions.yaml", "code: MA", "code: ma")

    # When
    found = only_e101(files)

    # Then
    assert (found.file, found.line, found.column) == (
        "regions.yaml", *files.position_of("regions.yaml", "ma\n"))
    assert found.hint is not None
    assert "A-Z" in found.hint


def test_bad_value__latitude_out_of_range__e101_at_the_value() -> None:
    # Given a latitude beyond the pole
    files = east_coast().edit("network.yaml", "    lat: 40.52", "    lat: 140.52")

    # When
    found = only_e101(files)

    # Then
    assert (found.file, found.line, found.column) == (
        "network.yaml", *files.position_of("network.yaml", "140.52"))
    assert "90" in found.message


# ---------------------------------------------------------------------------------------------
# stock


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ('"top 130%"', "between 0 and 100"),
        ("lots", "not all"),
        ("5", "stock must be"),
    ],
)
def test_stock__bad_scalar__e101_at_the_value(value: str, words: str) -> None:
    # Given FC-BOS7 with an unusable stock value
    files = east_coast().edit("network.yaml", 'stock: "top 30%"', f"stock: {value}")

    # When
    found = only_e101(files)

    # Then
    line, column = files.position_of("network.yaml", f"stock: {value}")
    assert (found.file, found.line, found.column) == ("network.yaml", line, column + len("stock: "))
    assert words in found.message


@pytest.mark.parametrize(
    ("ranges", "words"),
    [('["5-1"]', "reversed"), ('["0-999", "x-9"]', "x-9"), ('["0-999", "-5"]', "-5")],
)
def test_stock__bad_sku_range__e101_on_the_stock_line(ranges: str, words: str) -> None:
    # Given FC-ATL6 with a malformed SKU range list
    files = east_coast().edit("network.yaml", 'stock: ["0-49999", "60000-99999"]',
                              f"stock: {ranges}")

    # When
    found = only_e101(files)

    # Then: on the stock line (expected: the bad range item; the `stock` key is acceptable)
    assert (found.file, found.line) == ("network.yaml",
                                        files.line_of("network.yaml", f"stock: {ranges}"))
    assert words in found.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("all", StockAll()),
        ("top 30%", StockTop(percent=30.0)),
        ("top 12.5 %", StockTop(percent=12.5)),
        ("top 0%", StockTop(percent=0.0)),
        ("top 100%", StockTop(percent=100.0)),
        (["0-999", "5000-5999"], StockRanges(ranges=((0, 999), (5000, 5999)))),
        (["7", 8, " 10 - 12 "], StockRanges(ranges=((7, 7), (8, 8), (10, 12)))),
        ([], StockRanges(ranges=())),
    ],
)
def test_parse_stock__valid_forms__parsed(value: object, expected: object) -> None:
    # When / Then
    assert parse_stock(value) == expected


@pytest.mark.parametrize(
    "value", ["top 130%", "top -5%", "5-1", "lots", 5, None, ["5-1"], [True], [1.5], ["a-b"]],
)
def test_parse_stock__invalid_forms__value_error(value: object) -> None:
    # When / Then
    with pytest.raises(ValueError):
        parse_stock(value)


def test_facility__default_stock__all() -> None:
    # Given / When
    facility = Facility.model_validate({"id": "FC-1", "type": "fc", "lat": 1, "lon": 2})

    # Then
    assert facility.stock_spec == StockAll()


# ---------------------------------------------------------------------------------------------
# Routes


@pytest.mark.parametrize(
    ("new", "why"),
    [
        ('  - region: MA\n    zones: ["191"]\n', "both"),
        ("  - via: [SC-BWI5]\n", "neither"),
    ],
)
def test_route__region_and_zones_both_or_neither__e101_at_the_route(new: str, why: str) -> None:
    # Given a route naming both a region and zones, or neither
    files = east_coast().edit("routing.yaml", "  - region: MA\n", new)

    # When
    found = only_e101(files)

    # Then: at the route's entry
    assert (found.file, found.line, found.column) == (
        "routing.yaml", *files.position_of("routing.yaml", new.strip().splitlines()[0][2:])), why
    assert "`region` or `zones`" in found.message


def test_route__empty_fcs__e101_at_the_fcs() -> None:
    # Given a route with no candidates at all
    files = east_coast().edit("routing.yaml", "fcs: [FC-EWR4, FC-BOS7]", "fcs: []")

    # When
    found = only_e101(files)

    # Then: on the fcs line (expected: its value `[]`, or its key when the list is empty)
    assert (found.file, found.line) == ("routing.yaml", files.line_of("routing.yaml", "fcs: []"))
    assert "at least one candidate" in found.message


def test_schema__several_errors__one_finding_each_in_file_order() -> None:
    # Given three independent schema errors in two files
    files = (
        east_coast()
        .edit("network.yaml", "    lat: 40.52\n", '    lat: "40.52"\n')
        .edit("network.yaml", "station: DS-CLT4", "station: [DS-CLT4]")
        .edit("routing.yaml", "fcs: [FC-EWR4, FC-BOS7]", "fcs: []")
    )

    # When
    findings = parse_findings(files)

    # Then
    assert [(f.code, f.file, f.line) for f in findings] == [
        ("E101", "network.yaml", files.line_of("network.yaml", '"40.52"')),
        ("E101", "network.yaml", files.line_of("network.yaml", "[DS-CLT4]")),
        ("E101", "routing.yaml", files.line_of("routing.yaml", "fcs: []")),
    ]
