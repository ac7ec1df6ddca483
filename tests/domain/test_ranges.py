"""Zone selectors: single ids and inclusive ranges of same-width numeric ids."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.domain.ranges import RangeError, ZoneIndex, ZoneRange, parse_selector, zone_ranges

# ---------------------------------------------------------------------------------------------
# parse_selector


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("010-069", ZoneRange(low=10, high=69, width=3)),
        ("070-070", ZoneRange(low=70, high=70, width=3)),
        ("0-9", ZoneRange(low=0, high=9, width=1)),
        ("00501-99950", ZoneRange(low=501, high=99950, width=5)),
        (" 100 - 149 ", ZoneRange(low=100, high=149, width=3)),
    ],
)
def test_parse_selector__well_formed_range__zone_range(text: str, expected: ZoneRange) -> None:
    # When
    selector = parse_selector(text)

    # Then
    assert selector == expected


@pytest.mark.parametrize("text", ["201", "070", "W1A", "north-east", "FC-EWR4", "SW1A-1AA"])
def test_parse_selector__single_id__returned_as_is(text: str) -> None:
    # When / Then: anything that is not digits-dash-digits is one zone id
    assert parse_selector(text) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("070-06", "width"),
        ("07-069", "width"),
        ("069-010", "reversed"),
        ("100-099", "reversed"),
        ("-069", "first"),
        ("010-", "first"),
        ("-", "first"),
    ],
)
def test_parse_selector__malformed_range__range_error_saying_why(text: str, why: str) -> None:
    # When / Then
    with pytest.raises(RangeError, match=why) as raised:
        parse_selector(text)
    assert text in str(raised.value)


def test_zone_range__str__zero_padded_to_its_width() -> None:
    # Given / When / Then
    assert str(ZoneRange(low=10, high=69, width=3)) == "010-069"
    assert str(parse_selector("00501-00999")) == "00501-00999"


# ---------------------------------------------------------------------------------------------
# ZoneIndex.select


IDS = ["021", "070", "071", "100", "0700", "W1A", "191", "070"]


@pytest.mark.parametrize(
    ("selector", "expected_ids"),
    [
        ("070-079", ["070", "071"]),
        ("000-999", ["021", "070", "071", "100", "191"]),
        ("200-299", []),
        ("0700-0799", ["0700"]),
        ("070-070", ["070"]),
    ],
)
def test_zone_index_select__range__existing_zones_of_that_width_in_value_order(
    selector: str, expected_ids: list[str],
) -> None:
    # Given zones of widths 3 and 4, one non-numeric, listed out of order
    index = ZoneIndex(IDS[:7])

    # When
    positions, known = index.select(selector)

    # Then
    assert known is True
    assert [index.ids[p] for p in positions] == expected_ids


def test_zone_index_select__single_known_id__its_position() -> None:
    # Given
    index = ZoneIndex(IDS[:7])

    # When
    positions, known = index.select("W1A")

    # Then
    assert known is True
    assert positions.tolist() == [IDS.index("W1A")]


def test_zone_index_select__single_unknown_id__nothing_and_unknown() -> None:
    # Given
    index = ZoneIndex(IDS[:7])

    # When
    positions, known = index.select("999")

    # Then: the caller reports E110
    assert known is False
    assert len(positions) == 0


def test_zone_index_select__malformed_range__range_error() -> None:
    # Given
    index = ZoneIndex(IDS[:7])

    # When / Then: the caller reports E111
    with pytest.raises(RangeError):
        index.select("070-06")


def test_zone_index_select__duplicate_id__single_selects_first_and_range_selects_both() -> None:
    # Given "070" listed twice (the checks report E102; selection must stay consistent)
    index = ZoneIndex(IDS)

    # When
    single, _ = index.select("070")
    ranged, _ = index.select("070-070")

    # Then
    assert single.tolist() == [1]
    assert sorted(ranged.tolist()) == [1, 7]


def test_zone_index_select__non_ascii_digits__not_matched_by_ranges() -> None:
    # Given an id of Arabic-Indic digits, which str.isdigit accepts
    index = ZoneIndex(["\u0660\u0667\u0660", "070"])

    # When
    positions, _ = index.select("000-999")

    # Then: only the ASCII id is numeric
    assert positions.tolist() == [1]


def test_zone_index__no_zones__ranges_select_nothing() -> None:
    # Given
    index = ZoneIndex([])

    # When
    positions, known = index.select("000-999")

    # Then
    assert known is True
    assert positions.dtype == np.int64
    assert len(positions) == 0


# ---------------------------------------------------------------------------------------------
# Properties


@st.composite
def zone_ids_and_range(draw: st.DrawFn) -> tuple[list[str], int, int, int]:
    width = draw(st.integers(min_value=1, max_value=5))
    top = 10**width - 1
    values = draw(st.lists(st.integers(min_value=0, max_value=top), unique=True, max_size=60))
    ids = [f"{value:0{width}d}" for value in values]
    # noise: ids of other widths and non-numeric ids must never be selected
    noise = draw(st.lists(
        st.from_regex(r"\A(?:[0-9]{1,6}|[A-Z][0-9A-Z]{0,3})\Z").filter(lambda s: len(s) != width),
        max_size=10,
    ))
    ids = draw(st.permutations(ids + noise))
    low = draw(st.integers(min_value=0, max_value=top))
    high = draw(st.integers(min_value=low, max_value=top))
    return ids, width, low, high


@settings(max_examples=300, deadline=None)
@given(zone_ids_and_range())
def test_select_range__random_ids_and_range__exactly_the_ids_inside_sorted_by_value(
    case: tuple[list[str], int, int, int],
) -> None:
    # Given random unique ids of one width (plus noise of other widths) and a range
    ids, width, low, high = case
    index = ZoneIndex(ids)
    text = f"{low:0{width}d}-{high:0{width}d}"

    # When
    positions, known = index.select(text)

    # Then
    expected = sorted(
        (position for position, zone_id in enumerate(ids)
         if len(zone_id) == width and zone_id.isdigit() and low <= int(zone_id) <= high),
        key=lambda position: int(ids[position]),
    )
    assert known is True
    assert positions.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=5), st.data())
def test_parse_selector__reversed_bounds__always_range_error(
    width: int, data: st.DataObject,
) -> None:
    # Given a range whose first bound is above its last, both of the same width
    high = data.draw(st.integers(min_value=0, max_value=10**width - 2))
    low = data.draw(st.integers(min_value=high + 1, max_value=10**width - 1))

    # When / Then
    with pytest.raises(RangeError):
        parse_selector(f"{low:0{width}d}-{high:0{width}d}")


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A[0-9]{1,6}\Z"), st.from_regex(r"\A[0-9]{1,6}\Z"))
def test_parse_selector__digits_dash_digits__range_or_range_error(first: str, last: str) -> None:
    # Given any two digit strings around a dash
    text = f"{first}-{last}"

    # When
    try:
        selector = parse_selector(text)
    except RangeError:
        # Then: an error exactly when the widths differ or the bounds are reversed
        assert len(first) != len(last) or int(first) > int(last)
        return

    # Then: otherwise a range with exactly those bounds
    assert selector == ZoneRange(low=int(first), high=int(last), width=len(first))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"\A[0-9A-Z]{1,5}\Z"), min_size=1, max_size=30), st.data())
def test_select__each_listed_id__selects_its_first_position(
    ids: list[str], data: st.DataObject,
) -> None:
    # Given any list of ids, and one of them
    index = ZoneIndex(ids)
    chosen = data.draw(st.sampled_from(ids))

    # When
    positions, known = index.select(chosen)

    # Then
    assert known is True
    assert positions.tolist() == [ids.index(chosen)]


def test_zone_ranges__runs_among_existing_zones__ranges_then_singles() -> None:
    # Given zones with a gap in the numbering (012 does not exist) and a non-numeric id
    index = ZoneIndex(["010", "011", "013", "020", "021", "abc", "0100", "030"])

    # When
    written = zone_ranges(zones=["010", "011", "013", "021", "abc", "0100"], index=index)

    # Then: 010, 011, 013 are consecutive among the zones; short runs stay single ids
    assert written == ["010-013", "021", "0100", "abc"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=40, unique=True),
       st.integers(0, 2**32 - 1))
def test_zone_ranges__any_subset__selects_exactly_that_subset(values: list[int],
                                                               seed: int) -> None:
    # Given zones with gaps and a random subset of them
    ids = [f"{v:03d}" for v in values]
    index = ZoneIndex(ids)
    rng = np.random.default_rng(seed)
    subset = [z for z in ids if rng.random() < 0.5]

    # When
    written = zone_ranges(zones=subset, index=index, min_run=2)

    # Then: selecting what is written gives the subset back, nothing more
    selected = {index.ids[p] for text in written for p in index.select(text)[0].tolist()}
    assert selected == set(subset)
