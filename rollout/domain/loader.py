"""YAML text -> plain Python data, and file:line:column for any node on demand.

Two parsers, each for what it does best (measured on a 4 MB network.yaml on the 2-core machine:
ruamel round-trip ~50 s, PyYAML's C loader ~5 s, these two ~0.1-0.3 s):

* `yaml_rs` (Rust) turns the text into data with YAML 1.2 core-schema typing, rejects duplicate
  keys and bounds alias expansion (billion-laughs) itself; its errors carry line and column.
* `ryml` (rapidyaml, C++) is used only when a finding needs a position: it parses the same bytes
  in place, and the offset of a node's key or value in the buffer gives its line and column. A
  clean bundle never builds this index (`rollout.domain.positions`).

Every failure becomes an E100/E102 finding with a position; nothing here raises on bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml_rs

from rollout.domain.findings import Finding, Path
from rollout.domain.positions import NO_POSITIONS, PositionIndex

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: Deepest nesting accepted; a real bundle is about 5 levels deep. (yaml_rs itself stops flow
#: collections at about 255 levels, but not block sequences.)
MAX_DEPTH = 64
#: Alias replay bound: far beyond any honest use of anchors, far below a billion laughs.
MAX_ALIAS_EVENTS = 1_000_000

_ERROR_POSITION = re.compile(r"line (\d+), column (\d+)")
_DUPLICATE_KEY = re.compile(r"duplicate mapping key: (.*)$", re.DOTALL)
_ALIAS = re.compile(rb"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]")
_DOC_SEPARATOR = re.compile(r"(?m)^---(?:\s|$)")
_DOC_END = re.compile(r"(?m)^\.\.\.(?:[ \t]+#.*)?[ \t]*$")
#: Deep block nesting needs a long run of indentation or compact "- - -" indicators at the start
#: of some line; without one (and with few flow brackets) the exact depth walk is skipped.
_DEEP_BLOCK_LINE = re.compile(r"(?m)^[ \t?:-]{" + str(MAX_DEPTH) + ",}")


@dataclass
class YamlDocument:
    """One parsed YAML file: its raw bytes, its data (None when unusable) and its errors."""

    name: str
    raw: bytes
    text: str | None
    data: Any
    errors: list[Finding] = field(default_factory=list)
    _positions: PositionIndex | None = field(default=None, repr=False)


    @property
    def ok(self) -> bool:
        return not self.errors

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the node at `path` (or of its nearest existing ancestor)."""
        if self.text is None:
            return (1, 1)
        if self._positions is None:
            try:
                self._positions = PositionIndex(self.raw)
            except Exception:  # ryml refuses what yaml_rs took (e.g. a mapping as a key)
                self._positions = NO_POSITIONS
        if self._positions is NO_POSITIONS:
            return (1, 1)
        return self._positions.position(path, key=key)


def load_yaml(name: str, raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> YamlDocument:
    """Parse one YAML file. Problems come back as findings in `errors`, never as exceptions."""
    if len(raw) > max_bytes:
        return _unusable(
            name,
            raw,
            f"file is {len(raw) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit",
            hint="raise RRM_MAX_FILE_BYTES if a bundle this large is intended",
        )
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_column_of_byte(body, exc.start)
        return _unusable(
            name,
            raw,
            f"not valid UTF-8: byte 0x{body[exc.start]:02x} cannot start or continue a character",
            line=line,
            column=column,
            hint="save the file as UTF-8",
        )
    nul = text.find("\x00")
    if nul >= 0:
        line, column = _line_column_of_char(text, nul)
        return _unusable(name, raw, "NUL character in the text", line=line, column=column)

    try:
        data = yaml_rs.loads(
            text,
            parse_datetime=False,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_EVENTS),
        )
    except yaml_rs.YAMLDecodeError as exc:
        return _decode_error(name, raw, text, str(exc))
    except RecursionError:  # defensive: yaml_rs reports deep nesting as a decode error
        return _unusable(name, raw, f"nesting deeper than {MAX_DEPTH} levels", text=text)

    document = YamlDocument(name=name, raw=raw, text=text, data=data)
    if data is None:
        document.data = {}
    elif _may_be_deep(text) and _depth_exceeds(data, MAX_DEPTH):
        document.data = None
        document.errors.append(
            Finding(code="E100", message=f"nesting deeper than {MAX_DEPTH} levels", file=name,
                    line=1, column=1, hint="a bundle is only a few levels deep")
        )
    elif isinstance(data, list) and (second := _second_document_start(text)) is not None:
        line, column = _line_column_of_char(text, second)
        document.data = None
        document.errors.append(
            Finding(
                code="E100",
                message="more than one YAML document in the file",
                file=name,
                line=line,
                column=column,
                hint="a bundle file holds exactly one document; remove the '---' separator",
            )
        )
    return document


def _decode_error(name: str, raw: bytes, text: str, message: str) -> YamlDocument:
    duplicate = _DUPLICATE_KEY.match(message)
    if duplicate:
        reported = duplicate.group(1).strip()  # the key's Python repr
        line, column = _find_duplicate_key(raw, reported) or (1, 1)
        key = "null (an empty key, ~ or null)" if reported == "None" else reported
        return YamlDocument(
            name=name, raw=raw, text=text, data=None,
            errors=[Finding(code="E102", message=f"duplicate YAML key {key}", file=name,
                            line=line, column=column,
                            hint="a mapping may name each key once; the later one would "
                                 "silently win")],
        )
    if "alias" in message and "limit" in message:
        match = _ALIAS.search(raw)
        line, column = _line_column_of_byte(raw, match.start() + 1) if match else (1, 1)
        return _unusable(name, raw, "aliases expand too far (a 'billion laughs' document?)",
                         line=line, column=column, text=text,
                         hint=f"at most {MAX_ALIAS_EVENTS:,} nodes may be produced by aliases")
    position = _ERROR_POSITION.search(message)
    line, column = (int(position.group(1)), int(position.group(2))) if position else (1, 1)
    # yaml_rs messages look like "YAML parse error at line L, column C\n<excerpt>\n<reason>":
    # the reason (last line) is what a person needs; the position goes in file:line:column.
    reason = message.strip().splitlines()[-1].strip() if message.strip() else "syntax error"
    if "tab" in reason:
        tab_line = _tab_line(text, line)
        if tab_line != line:
            line, column = tab_line, 1
    if reason == "recursion limit exceeded":
        reason = "nesting too deep (a bundle is only a few levels deep)"
    return _unusable(name, raw, f"YAML syntax error: {reason}", line=line, column=column,
                     text=text)


def _unusable(
    name: str,
    raw: bytes,
    message: str,
    *,
    line: int = 1,
    column: int = 1,
    text: str | None = None,
    hint: str | None = None,
) -> YamlDocument:
    return YamlDocument(
        name=name,
        raw=raw,
        text=text,
        data=None,
        errors=[Finding(code="E100", message=message, file=name, line=line, column=column,
                        hint=hint)],
    )


def _second_document_start(text: str) -> int | None:
    """Offset where a second document starts: a '---' (a leading '---' that only follows blank,
    comment or directive lines starts the first one), or content after a '...' end marker."""
    starts: list[int] = []
    separators = list(_DOC_SEPARATOR.finditer(text))
    if separators:
        before_first = text[: separators[0].start()].splitlines()
        if all(_is_between_documents(line) for line in before_first):
            separators = separators[1:]
        starts.extend(separator.start() for separator in separators[:1])
    first_end = _DOC_END.search(text)
    if first_end is not None:
        offset = first_end.end()
        for line in text[offset:].splitlines(keepends=True):
            if not _is_between_documents(line) and not _DOC_END.match(line):
                starts.append(offset)
                break
            offset += len(line)
    return min(starts, default=None)


def _is_between_documents(line: str) -> bool:
    """Blank, comment or directive: what may stand before a document's content."""
    return not line.strip() or line.lstrip().startswith(("#", "%"))


def _tab_line(text: str, line: int) -> int:
    """The first line at or after `line` whose indentation holds a tab (yaml_rs reports a tab
    used for indentation at the end of the line before it)."""
    lines = text.splitlines()
    for number in range(max(line, 1), len(lines) + 1):
        content = lines[number - 1]
        indentation = content[: len(content) - len(content.lstrip(" \t"))]
        if "\t" in indentation:
            return number
    return line


def _may_be_deep(text: str) -> bool:
    """Cheap gate (a few ms on 4 MB) before the exact walk (tens of ms)."""
    return (text.count("[") + text.count("{") >= MAX_DEPTH
            or _DEEP_BLOCK_LINE.search(text) is not None)


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Iterative depth probe (no recursion, so a deep document cannot overflow the stack)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return False


def _line_column_of_byte(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _line_column_of_char(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _find_duplicate_key(raw: bytes, reported: str) -> tuple[int, int] | None:
    """Position of the repeated key yaml_rs reported (error path only)."""
    try:
        index = PositionIndex(raw)
    except Exception:  # ryml rejects what yaml_rs accepted: no position, but still a finding
        return None
    return index.first_duplicate_key(reported)
