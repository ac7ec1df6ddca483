"""`render_text`: the `diff A B` report, the semantic summary followed by the text diff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rollout.domain.diff.changes import show
from rollout.domain.diff.model import SemanticDiff
from rollout.domain.diff.text import FileDiff
from rollout.domain.diff.zone_ids import compress_zone_ids

_TEXT_DETAIL_LIMIT = 20

T = TypeVar("T")


def render_text(semantic: SemanticDiff, files: list[FileDiff]) -> str:
    """The `diff A B` report: the semantic summary (empty parts left out, or "No semantic
    change"), then each file's unified diff."""
    sections = _semantic_sections(semantic)
    lines = [line for section in sections for line in section] or ["No semantic change"]
    lines.append("")
    if files:
        text = "\n".join(lines) + "\n" + "".join(f.diff for f in files)
    else:
        text = "\n".join([*lines, "No text change", ""])
    return text


def _semantic_sections(diff: SemanticDiff) -> list[list[str]]:
    """Each non-empty part as a heading followed by indented lines."""
    candidates = [
        _section("Zones moved between regions", [
            f"{_region(g.old)} -> {_region(g.new)}: {_zones(g.count)} {g.zones}"
            for g in diff.zone_move_groups()]),
        _section("Zones", [
            *([f"+ {_zones(len(diff.zones_added))}: {compress_zone_ids(diff.zones_added)}"]
              if diff.zones_added else []),
            *([f"- {_zones(len(diff.zones_removed))}: {compress_zone_ids(diff.zones_removed)}"]
              if diff.zones_removed else []),
            *_limited(diff.zones_changed, lambda c: f"~ {c.as_text()}"),
        ]),
        _section("Facilities", [
            *(f"+ {f}" for f in diff.facilities_added),
            *(f"- {f}" for f in diff.facilities_removed),
            *(f"~ {c.as_text()}" for c in diff.facilities_changed),
            *(f"~ {m.id}: region {_region(m.old_region)} -> {_region(m.new_region)}"
              for m in diff.facilities_moved),
        ]),
        _section("Lanes", [
            *(f"+ {a} -> {b}" for a, b in diff.lanes_added),
            *(f"- {a} -> {b}" for a, b in diff.lanes_removed),
            *(f"~ {c.as_text()}" for c in diff.lanes_changed),
        ]),
        _section("Regions", [
            *(f"+ {code}" for code in diff.regions_added),
            *(f"- {code}" for code in diff.regions_removed),
            *(f"~ {r.code}: name {show(r.old_name)} -> {show(r.new_name)}"
              for r in diff.regions_renamed),
        ]),
        _section(f"Routes ({_zones(len(diff.routes_changed))} changed)", [
            *(f"first FC {g.old or '(none)'} -> {g.new or '(none)'}: {_zones(g.count)} {g.zones}"
              for g in diff.route_groups()),
            *_limited(diff.routes_changed, lambda r: f"  {r.as_text()}"),
        ]),
        _section("Policy", [c.as_text() for c in diff.settings_changed]),
    ]
    return [section for section in candidates if section]


def _section(heading: str, lines: list[str]) -> list[str]:
    return [heading, *(f"  {line}" for line in lines)] if lines else []


def _limited(items: Sequence[T], line: Callable[[T], str],
             limit: int = _TEXT_DETAIL_LIMIT) -> list[str]:
    """The first `limit` items as lines (only those are formatted), then how many are left."""
    lines = [line(item) for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return lines


def _zones(count: int) -> str:
    return f"{count} zone" if count == 1 else f"{count} zones"


def _region(code: str | None) -> str:
    return code if code is not None else "(no region)"
