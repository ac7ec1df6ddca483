"""Structured edits of a bundle's YAML that keep comments and layout (STYLE.md: ruamel.yaml
round-trip edits).

ruamel.yaml's round-trip loader finds the nodes to change and where they are; the new text is
then spliced into the original in place of just those nodes, so every other byte (comments,
blank lines, quoting, line wrapping, key order) stays as written. Re-dumping the whole document
would re-indent lists and re-wrap long flow sequences. Every edit is checked by parsing the result
again and comparing it with the intended data.

Edits:
- `move_zones`: zones (ids or ranges) to one region of regions.yaml, out of every other region
  (ranges are split around them);
- `set_route_fcs`: the candidate FCs of the routing rule for a region or for a list of zones,
  adding the rule when there is none.

Problems come back as `YamlEditError` with the file, line and column they concern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.ranges import RangeError, ZoneRange, parse_selector

FC_KEYWORDS = ("nearest", "nearest_in_region")
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


class YamlEditError(RolloutError, ValueError):
    """An edit that cannot be made; `line`/`column` are 1-based, 0 when no place applies."""

    kind = ErrorKind.INVALID

    def __init__(self, message: str, *, file: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.file, self.line, self.column = message, file, line, column

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class EditResult:
    """The edited text and one line per change made (empty when nothing had to change)."""

    text: str
    changes: list[str]


def parse_zone_list(text: str) -> list[str]:
    """'282, 300-305 070' -> ['282', '300-305', '070']; raises ValueError for a bad range."""
    items = [part for part in re.split(r"[\s,]+", text.strip()) if part]
    for item in items:
        try:
            parse_selector(item)
        except RangeError as exc:
            raise ValueError(str(exc)) from exc
    if not items:
        raise ValueError("give at least one zone id or range, e.g. 282 or 270-289")
    return items


def parse_fc_list(text: str) -> list[str] | str:
    """'FC-A, FC-B' -> ['FC-A', 'FC-B']; 'nearest' / 'nearest_in_region' stay keywords."""
    items = [part for part in re.split(r"[\s,]+", text.strip()) if part]
    if len(items) == 1 and items[0] in FC_KEYWORDS:
        return items[0]
    if not items:
        raise ValueError("give FC ids (FC-A, FC-B) or nearest / nearest_in_region")
    bad = [item for item in items if not re.fullmatch(r"[A-Za-z0-9_.\-]+", item)]
    if bad:
        raise ValueError(f"not a facility id: {bad[0]!r} (letters, digits, '-', '_', '.')")
    return items


# --- move zones -----------------------------------------------------------------------------


def move_zones(text: str, *, zones: Sequence[str], region: str,
               file: str = "regions.yaml") -> EditResult:
    """Put `zones` (ids or ranges) into `region` and take them out of every other region."""
    doc = _Doc(text, file)
    regions = doc.region_list()
    moving = [_selector(z, file) for z in zones]
    by_code = {}
    for index, entry in enumerate(regions):
        if not isinstance(entry, CommentedMap):
            raise doc.error_at("a region must be a mapping with code, name, zones, facilities",
                               regions.lc.item(index))
        by_code[str(entry.get("code"))] = entry
    if region not in by_code:
        known = ", ".join(by_code) or "none"
        raise doc.error_at(f"no region {region!r} in {file} (regions: {known})",
                           doc.list_position)
    changes: list[str] = []
    for code, entry in by_code.items():
        if code == region or "zones" not in entry:
            continue
        old = _zone_items(doc, entry)
        new = [part for item in old for part in _subtract(item, moving)]
        if new != old:
            doc.replace_seq(entry, "zones", new, quote_all=True)
            changes.append(f"{code}: zones {_show(old)} -> {_show(new)}")
    target = by_code[region]
    current = _zone_items(doc, target) if "zones" in target else []
    added = [z for z in zones if not _covered(_selector(z, file), current)]
    if added:
        if "zones" not in target:
            raise doc.error_at(f"region {region} has no zones list to add to",
                               doc.position_of(target))
        doc.replace_seq(target, "zones", [*current, *added], quote_all=True)
        changes.append(f"{region}: zones {_show(current)} -> {_show([*current, *added])}")
    return doc.result(changes)


def _zone_items(doc: _Doc, entry: CommentedMap) -> list[str]:
    value = entry["zones"]
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise doc.error_at("zones must be a list of zone ids or ranges",
                           entry.lc.value("zones"))
    return [str(item) for item in value]


def _selector(text: str, file: str) -> str | ZoneRange:
    try:
        return parse_selector(text)
    except RangeError as exc:
        raise YamlEditError(str(exc), file=file) from exc


def _bounds(selector: str | ZoneRange) -> tuple[int, int, int] | None:
    """(low, high, width) of a numeric id or range, None for a non-numeric id."""
    if isinstance(selector, ZoneRange):
        return selector.low, selector.high, selector.width
    if selector.isascii() and selector.isdigit():
        return int(selector), int(selector), len(selector)
    return None


def _subtract(item: str, moving: Sequence[str | ZoneRange]) -> list[str]:
    """`item` (one selector as written) minus the moving zones, as selectors."""
    try:
        parsed = parse_selector(item)
    except RangeError:
        return [item]  # a malformed range is the checks' business (E111), not ours
    bounds = _bounds(parsed)
    if bounds is None:
        return [] if item in moving else [item]
    low, high, width = bounds
    pieces = [(low, high)]
    for other in moving:
        other_bounds = _bounds(other)
        if other_bounds is None or other_bounds[2] != width:
            continue
        o_low, o_high, _ = other_bounds
        pieces = [part for a, b in pieces
                  for part in ((a, min(b, o_low - 1)), (max(a, o_high + 1), b))
                  if part[0] <= part[1]]
    if pieces == [(low, high)]:
        return [item]
    return [f"{a:0{width}d}" if a == b else f"{a:0{width}d}-{b:0{width}d}" for a, b in pieces]


def _covered(selector: str | ZoneRange, items: Sequence[str]) -> bool:
    bounds = _bounds(selector)
    for item in items:
        try:
            existing = parse_selector(item)
        except RangeError:
            continue
        if bounds is None:
            if existing == selector:
                return True
            continue
        other = _bounds(existing)
        if other is not None and other[2] == bounds[2] and other[0] <= bounds[0] \
                and bounds[1] <= other[1]:
            return True
    return False


# --- routing --------------------------------------------------------------------------------


def set_route_fcs(text: str, *, fcs: Sequence[str] | str, region: str | None = None,
                  zones: Sequence[str] | None = None, known_regions: Sequence[str] | None = None,
                  file: str = "routing.yaml") -> EditResult:
    """Set the candidate FCs of the last rule for `region` (or for exactly `zones`); append such
    a rule at the end of `routes` when there is none."""
    if (region is None) == (zones is None):
        raise YamlEditError("give either a region or a list of zones", file=file)
    if region is not None and known_regions is not None and region != "*" \
            and region not in known_regions:
        raise YamlEditError(f"no region {region!r} (regions: {', '.join(known_regions)})",
                            file=file)
    for zone in zones or ():
        _selector(zone, file)
    doc = _Doc(text, file)
    routes = doc.route_list()
    rule: CommentedMap | None = None
    for index, entry in enumerate(routes):
        if not isinstance(entry, CommentedMap):
            raise doc.error_at("a route must be a mapping with region or zones, and fcs",
                               routes.lc.item(index))
        if region is not None and entry.get("region") == region and "zones" not in entry:
            rule = entry
        if zones is not None and _as_list(entry.get("zones")) == list(zones):
            rule = entry
    what = f"region {region}" if region is not None else f"zones {_show(list(zones or []))}"
    if rule is None:
        doc.append_item(routes, _new_rule(region, zones, fcs))
        head: dict[str, object] = ({"region": region} if region is not None
                                   else {"zones": list(zones or [])})
        routes.append({**head, "fcs": fcs if isinstance(fcs, str) else list(fcs)})
        return doc.result([f"new route for {what}: fcs {_show_fcs(fcs)}"])
    old = rule.get("fcs")
    if "fcs" not in rule:
        raise doc.error_at(f"the route for {what} has no fcs key", doc.position_of(rule))
    if isinstance(fcs, str):
        doc.replace_scalar(rule, "fcs", fcs)
    else:
        doc.replace_seq(rule, "fcs", list(fcs), quote_all=False)
    old_shown = _show_fcs(old if isinstance(old, str) else [str(f) for f in old or []])
    return doc.result([f"route for {what}: fcs {old_shown} -> {_show_fcs(fcs)}"])


def _as_list(value: object) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return None


def _new_rule(region: str | None, zones: Sequence[str] | None,
              fcs: Sequence[str] | str) -> list[str]:
    head = (f"region: {_scalar(region)}" if region is not None
            else f"zones: {_flow(list(zones or []), quote_all=True)}")
    body = f"fcs: {fcs}" if isinstance(fcs, str) else f"fcs: {_flow(list(fcs), quote_all=False)}"
    return [head, body]


def _show(items: Sequence[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _show_fcs(fcs: Sequence[str] | str) -> str:
    return fcs if isinstance(fcs, str) else _show(fcs)


# --- text splicing --------------------------------------------------------------------------


def _scalar(value: str, *, quote: bool = False) -> str:
    if not quote and _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _flow(items: Sequence[str], *, quote_all: bool) -> str:
    return "[" + ", ".join(_scalar(item, quote=quote_all) for item in items) + "]"


def _plain(data: Any) -> Any:
    """ruamel's commented containers as plain dicts, lists and strings (for the final check)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data if data is None or isinstance(data, (bool, int, float)) else str(data)


class _Doc:
    """One YAML text, its round-trip data, and the splices to apply to it."""

    def __init__(self, text: str, file: str) -> None:
        self.text, self.file = text, file
        self.data = self._load(text)
        self.starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self.starts.append(index + 1)
        self.splices: list[tuple[int, int, str]] = []
        self.list_position: tuple[int, int] = (0, 0)

    def _load(self, text: str) -> Any:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        try:
            return yaml.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
            problem = exc.problem or exc.context or "YAML syntax error"
            raise YamlEditError(f"YAML syntax error: {problem}", file=self.file, line=line,
                                column=column) from exc
        except YAMLError as exc:
            raise YamlEditError(f"YAML syntax error: {exc}", file=self.file) from exc

    # locating ------------------------------------------------------------------------------

    def error_at(self, message: str, position: tuple[int, int] | list[int] | None
                 ) -> YamlEditError:
        line, column = (position[0] + 1, position[1] + 1) if position else (0, 0)
        return YamlEditError(message, file=self.file, line=line, column=column)

    def position_of(self, node: CommentedMap | CommentedSeq) -> tuple[int, int]:
        return (node.lc.line, node.lc.col)

    def _section_list(self, section: str, list_key: str) -> CommentedSeq:
        data = self.data
        holder: Any = data
        inner = data.get(section) if isinstance(data, CommentedMap) else None
        if isinstance(inner, CommentedMap) and list_key in inner:
            holder = inner  # single-file bundle: the section under its own key
        elif isinstance(inner, CommentedSeq) and section != list_key:
            self.list_position = tuple(data.lc.value(section))
            return inner  # single-file bundle, the section written as its bare list
        if not isinstance(holder, CommentedMap) or list_key not in holder:
            raise YamlEditError(f"no '{list_key}:' list in {self.file}", file=self.file,
                                line=1, column=1)
        value = holder[list_key]
        self.list_position = tuple(holder.lc.key(list_key))
        if not isinstance(value, CommentedSeq):
            raise self.error_at(f"'{list_key}' must be a list", holder.lc.value(list_key))
        return value

    def region_list(self) -> CommentedSeq:
        return self._section_list("regions", "regions")

    def route_list(self) -> CommentedSeq:
        return self._section_list("routing", "routes")

    def offset(self, line: int, column: int) -> int:
        return self.starts[line] + column

    # splicing ------------------------------------------------------------------------------

    def replace_seq(self, mapping: CommentedMap, key: str, items: list[str], *,
                    quote_all: bool) -> None:
        """Give `mapping[key]` the new list, written in the style the old value was in."""
        value = mapping[key]
        line, column = mapping.lc.value(key)
        start = self.offset(line, column)
        if isinstance(value, CommentedSeq) and self.text[start] != "[":
            self._replace_block_seq(value, items, quote_all=quote_all)
        else:
            end = (self._flow_end(start) if isinstance(value, CommentedSeq)
                   else self._scalar_end(start))
            self.splices.append((start, end, _flow(items, quote_all=quote_all)))
        mapping[key] = items

    def replace_scalar(self, mapping: CommentedMap, key: str, value: str) -> None:
        old = mapping[key]
        line, column = mapping.lc.value(key)
        start = self.offset(line, column)
        end = self._flow_end(start) if isinstance(old, CommentedSeq) else self._scalar_end(start)
        if isinstance(old, CommentedSeq) and self.text[start] != "[":
            raise self.error_at(f"'{key}' is a block list; edit it as text",
                                (line, column))
        self.splices.append((start, end, _scalar(value)))
        mapping[key] = value

    def _replace_block_seq(self, seq: CommentedSeq, items: list[str], *,
                           quote_all: bool) -> None:
        """Keep the lines of items that stay (with their comments), write new ones alike."""
        if not len(seq):
            raise YamlEditError("cannot edit an empty block list", file=self.file)
        kept: dict[str, str] = {}
        first_line = seq.lc.item(0)[0]
        last_line = seq.lc.item(len(seq) - 1)[0]
        for index, item in enumerate(seq):
            line = seq.lc.item(index)[0]
            kept.setdefault(str(item), self.text[self.starts[line]:self._line_end(line)])
        dash_column = seq.lc.item(0)[1] - 2
        lines = [kept.get(item) or " " * dash_column + "- " + _scalar(item, quote=quote_all)
                 for item in items]
        start, end = self.starts[first_line], self._line_end(last_line)
        self.splices.append((start, end, "\n".join(lines)))

    def append_item(self, seq: CommentedSeq, lines: list[str]) -> None:
        """A new mapping item after the last one of a block list (`lines`: its key lines)."""
        if not len(seq) or seq.fa.flow_style():
            raise self.error_at("can only add a route to a non-empty block list of routes",
                                self.list_position)
        dash = seq.lc.item(len(seq) - 1)[1] - 2
        _, end_line = self.item_lines(seq, len(seq) - 1)
        block = "\n" + "\n".join(
            " " * dash + ("- " if i == 0 else "  ") + text for i, text in enumerate(lines))
        at = self._line_end(end_line)
        self.splices.append((at, at, block))

    def item_lines(self, seq: CommentedSeq, position: int) -> tuple[int, int]:
        """First and last line of a block list's item: it ends at its last line indented
        deeper than its dash (blank and comment lines do not end it)."""
        first, column = seq.lc.item(position)
        dash = column - 2
        end = first
        for line in range(first + 1, len(self.starts)):
            content = self.text[self.starts[line]:self._line_end(line)]
            stripped = content.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if len(content) - len(content.lstrip(" ")) <= dash:
                break
            end = line
        return first, end

    def _line_end(self, line: int) -> int:
        end = self.text.find("\n", self.starts[line])
        return len(self.text) if end < 0 else end

    def _flow_end(self, start: int) -> int:
        """The offset just after the `]` closing the flow sequence opening at `start`."""
        depth, index, quote = 0, start, ""
        text = self.text
        while index < len(text):
            char = text[index]
            if quote:
                if char == "\\" and quote == '"':
                    index += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "#" and text[index - 1] in " \t\n":
                index = text.find("\n", index)
                if index < 0:
                    break
            elif char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1
        raise YamlEditError("unterminated flow sequence", file=self.file)

    def _scalar_end(self, start: int) -> int:
        """The offset just after a one-line scalar starting at `start`."""
        text, end = self.text, self._line_end(self.text.count("\n", 0, start))
        if text[start] in "\"'":
            quote, index = text[start], start + 1
            while index < end:
                if text[index] == "\\" and quote == '"':
                    index += 2
                    continue
                if text[index] == quote:
                    return index + 1
                index += 1
            return end
        comment = text.find(" #", start, end)
        return (comment if comment >= 0 else end) if text[start:end].strip() else end

    def result(self, changes: list[str]) -> EditResult:
        if not self.splices:
            return EditResult(self.text, changes)
        out, previous = [], 0
        for start, end, new in sorted(self.splices):
            out.append(self.text[previous:start])
            out.append(new)
            previous = end
        out.append(self.text[previous:])
        text = "".join(out)
        # The splice must mean exactly the intended edit: parse it back and compare.
        if _plain(self._load(text)) != _plain(self.data):
            raise YamlEditError("the edit could not be written without changing other data; "
                                "edit the file as text", file=self.file)
        return EditResult(text, changes)
