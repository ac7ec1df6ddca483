"""Zone selectors: a zone id ("201") or an inclusive range of same-width numeric ids ("010-069").

A range selects the zones that exist in it (real ZIP3 ranges have gaps), so "010-069" never
invents zones; a single id that names no zone is an unknown reference (E110) for the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_RANGE_LIKE = re.compile(r"^(\d*)\s*-\s*(\d*)$")


class RangeError(ValueError):
    """A selector that looks like a range but is not a well-formed one (E111)."""


@dataclass(frozen=True, slots=True)
class ZoneRange:
    low: int
    high: int
    width: int

    def __str__(self) -> str:
        return f"{self.low:0{self.width}d}-{self.high:0{self.width}d}"


def parse_selector(text: str) -> str | ZoneRange:
    """A single zone id, or a `ZoneRange`. Raises `RangeError` for a malformed range."""
    match = _RANGE_LIKE.match(text.strip())
    if not match:
        return text
    low_text, high_text = match.groups()
    if not low_text or not high_text:
        raise RangeError(f"range '{text}' needs a first and a last zone id, e.g. '010-069'")
    if len(low_text) != len(high_text):
        raise RangeError(
            f"range '{text}' mixes ids of width {len(low_text)} and {len(high_text)}; "
            "both ends must have the same number of digits"
        )
    low, high = int(low_text), int(high_text)
    if low > high:
        raise RangeError(f"range '{text}' has its bounds reversed")
    return ZoneRange(low=low, high=high, width=len(low_text))


class ZoneIndex:
    """Zone ids -> positions, with numeric ids grouped by width for fast range lookups."""

    def __init__(self, zone_ids: Sequence[str]) -> None:
        self.ids = list(zone_ids)
        self.position: dict[str, int] = {}
        for index, zone_id in enumerate(self.ids):
            self.position.setdefault(zone_id, index)
        by_width: dict[int, list[tuple[int, int]]] = {}
        for index, zone_id in enumerate(self.ids):
            if zone_id.isdigit() and zone_id.isascii():
                by_width.setdefault(len(zone_id), []).append((int(zone_id), index))
        self._numeric: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for width, pairs in by_width.items():
            pairs.sort()
            values = np.fromiter((value for value, _ in pairs), dtype=np.int64, count=len(pairs))
            indexes = np.fromiter((index for _, index in pairs), dtype=np.int64, count=len(pairs))
            self._numeric[width] = (values, indexes)

    def select_range(self, zone_range: ZoneRange) -> np.ndarray:
        """Positions of the existing zones inside the range, in id order."""
        values, indexes = self._numeric.get(zone_range.width, (_EMPTY, _EMPTY))
        start = int(np.searchsorted(values, zone_range.low, side="left"))
        stop = int(np.searchsorted(values, zone_range.high, side="right"))
        return indexes[start:stop]

    def select(self, text: str) -> tuple[np.ndarray, bool]:
        """(positions, known): known is False for a single id that names no zone.

        Raises `RangeError` for a malformed range.
        """
        selector = parse_selector(text)
        if isinstance(selector, ZoneRange):
            return self.select_range(selector), True
        position = self.position.get(selector)
        if position is None:
            return _EMPTY, False
        return np.array([position], dtype=np.int64), True


_EMPTY = np.zeros(0, dtype=np.int64)
