"""Round-trip YAML edits: the intended change is made and every comment and line around it stays."""

from __future__ import annotations

import difflib

import pytest
from ruamel.yaml import YAML

from rollout.domain.yamledit import (
    YamlEditError,
    move_zones,
    parse_fc_list,
    parse_zone_list,
    set_route_fcs,
)
from tests.factories import east_coast_files

REGIONS = east_coast_files()["regions.yaml"].decode()
ROUTING = east_coast_files()["routing.yaml"].decode()


def changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="",
                                                  n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def comments(text: str) -> list[str]:
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


def zones_of(text: str) -> dict[str, list[str]]:
    data = YAML(typ="safe").load(text)
    return {r["code"]: r["zones"] for r in data["regions"]}


def test_move_zones__one_zone_out_of_a_range__range_split_and_comments_kept() -> None:
    # Given the example's regions.yaml, SE holding "270-319"
    # When zone 282 moves to MA
    result = move_zones(REGIONS, zones=["282"], region="MA")
    # Then SE's range is split around it, MA gains it, and only those two lines changed
    assert zones_of(result.text)["SE"] == ["270-281", "283-319"]
    assert zones_of(result.text)["MA"] == ["150-219", "282"]
    assert changed_lines(REGIONS, result.text) == [
        '-    zones: ["150-219"]', '+    zones: ["150-219", "282"]',
        '-    zones: ["270-319"]', '+    zones: ["270-281", "283-319"]',
    ]
    assert comments(result.text) == comments(REGIONS)
    assert result.changes == ["SE: zones [270-319] -> [270-281, 283-319]",
                              "MA: zones [150-219] -> [150-219, 282]"]


def test_move_zones__line_with_trailing_comment__comment_survives() -> None:
    # Given NE's zones line ends with a comment
    # When a range of NE's zones moves to MA
    result = move_zones(REGIONS, zones=["070-089"], region="MA")
    # Then NE lost the range and the comment on its line is still there, in place
    assert zones_of(result.text)["NE"] == ["010-069", "100-149"]
    assert '    zones: ["010-069", "100-149"]   # inclusive ranges of same-width ZIP3 ids' \
        in result.text.splitlines()
    assert comments(result.text) == comments(REGIONS)


def test_move_zones__block_list__kept_items_keep_their_comments() -> None:
    # Given a block-style zones list with a comment per item
    text = ('regions:\n  - code: A   # first region\n    zones:\n      - "001"   # one\n'
            '      - "002"   # two\n  - code: B\n    zones:\n      - "010"   # ten\n')
    # When zone 002 moves to B
    result = move_zones(text, zones=["002"], region="B")
    # Then the block style and the comments of the items that stay are unchanged
    assert result.text == ('regions:\n  - code: A   # first region\n    zones:\n'
                           '      - "001"   # one\n  - code: B\n    zones:\n      - "010"   # ten\n'
                           '      - "002"\n')


def test_move_zones__already_there__nothing_changes() -> None:
    result = move_zones(REGIONS, zones=["150-160"], region="MA")
    assert result.text == REGIONS
    assert result.changes == []


def test_move_zones__unknown_region__error_names_the_regions_and_the_line() -> None:
    # Given the example (regions: NE, MA, SE) When moving to XX Then a clear error at `regions:`
    with pytest.raises(YamlEditError) as caught:
        move_zones(REGIONS, zones=["282"], region="XX")
    assert "no region 'XX'" in str(caught.value)
    assert "NE, MA, SE" in str(caught.value)
    assert (caught.value.file, caught.value.line, caught.value.column) == ("regions.yaml", 2, 1)


def test_move_zones__bad_yaml__error_with_line_and_column() -> None:
    with pytest.raises(YamlEditError) as caught:
        move_zones("regions:\n  - code: A\n    zones: [\"001\"\n  - code: B\n", zones=["001"],
                   region="B")
    assert caught.value.line >= 3
    assert caught.value.column > 0
    assert str(caught.value).startswith(f"regions.yaml:{caught.value.line}:")


def test_move_zones__single_file_bundle__edits_the_regions_section() -> None:
    text = ('network: {}\nregions:\n  # the regions\n  regions:\n    - code: A\n'
            '      zones: ["001-009"]\n    - code: B\n      zones: []\n')
    result = move_zones(text, zones=["005"], region="B", file="bundle.yaml")
    assert '      zones: ["001-004", "006-009"]' in result.text
    assert '      zones: ["005"]' in result.text
    assert "  # the regions" in result.text


def test_set_route_fcs__existing_region_rule__only_its_fcs_line_changes() -> None:
    # Given the example's routing.yaml When MA's rule gets explicit candidates
    result = set_route_fcs(ROUTING, region="MA", fcs=["FC-BWI2", "FC-EWR4"])
    # Then only the fcs line of that rule changed; the comments are all there
    assert changed_lines(ROUTING, result.text) == ["-    fcs: nearest_in_region",
                                                   "+    fcs: [FC-BWI2, FC-EWR4]"]
    assert comments(result.text) == comments(ROUTING)


def test_set_route_fcs__zones_rule__keyword_replaces_the_list_and_keeps_via() -> None:
    result = set_route_fcs(ROUTING, zones=["070-079"], fcs="nearest")
    assert changed_lines(ROUTING, result.text) == ["-    fcs: [FC-EWR4, FC-BOS7]",
                                                   "+    fcs: nearest"]
    assert "    via: [SC-EWR2]           # through the Newark sort centre" in result.text


def test_set_route_fcs__no_rule_yet__appended_after_the_last_route() -> None:
    result = set_route_fcs(ROUTING, zones=["282"], fcs=["FC-ATL6"])
    lines = result.text.splitlines()
    index = lines.index('  - zones: ["282"]')
    assert lines[index + 1] == "    fcs: [FC-ATL6]"
    assert lines[index + 2].startswith("fallback: nearest")
    assert comments(result.text) == comments(ROUTING)


def test_set_route_fcs__unknown_region__refused() -> None:
    with pytest.raises(YamlEditError, match="no region 'XX'"):
        set_route_fcs(ROUTING, region="XX", fcs=["FC-ATL6"], known_regions=["NE", "MA", "SE"])


def test_parse_zone_list__commas_and_spaces__selectors_in_order() -> None:
    assert parse_zone_list("282, 300-305 070") == ["282", "300-305", "070"]
    with pytest.raises(ValueError, match="reversed"):
        parse_zone_list("305-300")


def test_parse_fc_list__keyword_or_ids() -> None:
    assert parse_fc_list("nearest") == "nearest"
    assert parse_fc_list("FC-A, FC-B") == ["FC-A", "FC-B"]
    with pytest.raises(ValueError):
        parse_fc_list("FC A; B")
