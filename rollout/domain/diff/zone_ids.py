"""Zone ids written compactly as ranges: "010-019, 070, 201-203"."""

from __future__ import annotations

from collections.abc import Iterable


def compress_zone_ids(zone_ids: Iterable[str]) -> str:
    """The ids as one line such as "010-019, 070, 201-203", duplicates dropped.

    Runs of two or more consecutive numeric ids of the same width become "FIRST-LAST"; other ids
    are listed as they are; parts are sorted as text. Reading each part back with
    `ranges.parse_selector` gives exactly the input set (for ids without ", " in them that do not
    themselves look like a range).
    """
    return ", ".join(zone_id_runs(zone_ids))


def zone_id_runs(zone_ids: Iterable[str]) -> list[str]:
    """The parts of `compress_zone_ids`, as a list."""
    numeric: dict[int, list[int]] = {}
    parts: list[str] = []
    for zone_id in set(zone_ids):
        if zone_id.isascii() and zone_id.isdigit():
            numeric.setdefault(len(zone_id), []).append(int(zone_id))
        else:
            parts.append(zone_id)
    for width, values in numeric.items():
        parts.extend(_runs(sorted(values), width))
    return sorted(parts)


def _runs(values: list[int], width: int) -> list[str]:
    """Sorted distinct values as "FIRST-LAST" runs or single ids, zero-padded to `width`."""
    runs: list[str] = []
    start = previous = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        first, last = f"{start:0{width}d}", f"{previous:0{width}d}"
        runs.append(first if start == previous else f"{first}-{last}")
        if value is not None:
            start = previous = value
    return runs
