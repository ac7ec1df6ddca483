"""file:line:column of YAML nodes, from rapidyaml (ryml) parsing the raw bytes in place.

Only the error path pays for this: `loader.YamlDocument.position` builds a `PositionIndex` the
first time a finding needs a position, and the loader asks `first_duplicate_key` where yaml_rs's
"duplicate mapping key" is.

rapidyaml's C++ error handler prints every parse error on file descriptor 2 before the Python
binding raises (the binding offers no way to turn that off), so each ryml parse runs inside
`native_stderr_captured`: ryml's lines are dropped, anything else written meanwhile is passed on.
"""

from __future__ import annotations

import bisect
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np
import ryml
import yaml_rs

from rollout.domain.findings import Path

#: What rapidyaml writes for one error: "line=3 col=17 (22B): ERROR: [parse] <reason>" (or
#: "ERROR: [basic]"/"[visit]" without a location), then "<its source file>:<line>: (detected here)".
_RYML_LINE = re.compile(
    rb"(?:line=\d+ col=\d+ \(\d+B\): )?ERROR: \[(?:basic|parse|visit)\] .*"
    rb"|\S+:\d+: \(detected here\)"
    rb"|\S+:\d+: ERROR: .*"
)
#: fd 2 belongs to the whole process: one redirection at a time (re-entrant: a nested block
#: captures into its own file and hands what it keeps to the outer one).
_STDERR_LOCK = threading.RLock()
_CONTAINER = ryml.MAP | ryml.SEQ
_STR_TAGS = (b"!!str", b"tag:yaml.org,2002:str", b"!<tag:yaml.org,2002:str>")


@contextmanager
def native_stderr_captured() -> Iterator[None]:
    """Run the block with file descriptor 2 sent to a temporary file, then write back to the
    real stderr whatever was captured except rapidyaml's own error lines.

    Other threads writing to stderr during the block lose nothing (their text comes out when the
    block ends); two blocks never overlap (a lock). Without a usable fd 2 it simply runs the block.
    """
    with _STDERR_LOCK:
        with suppress(AttributeError, OSError, ValueError):  # no stderr, or a closed one
            sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        try:
            with tempfile.TemporaryFile() as capture:
                os.dup2(capture.fileno(), 2)
                try:
                    yield
                finally:
                    os.dup2(saved, 2)
                    capture.seek(0)
                    _write_all(saved, _without_ryml_lines(capture.read()))
        finally:
            os.close(saved)


def _without_ryml_lines(text: bytes) -> bytes:
    return b"".join(line for line in text.splitlines(keepends=True)
                    if not _RYML_LINE.fullmatch(line.rstrip(b"\r\n")))


def _write_all(fd: int, text: bytes) -> None:
    view = memoryview(text)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def ryml_parse(raw: bytes) -> tuple[bytearray, Any]:
    """ryml's tree over a private copy of `raw` (the tree points into that buffer, so keep it).
    Raises ryml's exception for YAML it refuses (e.g. a mapping used as a key), printing nothing."""
    buffer = bytearray(raw)
    with native_stderr_captured():
        tree = ryml.parse_in_place(buffer)
    return buffer, tree


class PositionIndex:
    """Byte offsets of YAML nodes.

    ryml's tree hands out each key and value as a memoryview into the buffer it parsed, so the
    view's address minus the buffer's address is the node's byte offset in the source.
    """

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._buffer, self._tree = ryml_parse(raw)
        self._base = _address(memoryview(self._buffer))
        self._line_starts: list[int] | None = None
        self._key_values: dict[tuple[bytes, int, bytes | None], Any] = {}
        self._anchors: dict[bytes, Any] | None = None
        self._key_indexes: dict[int, dict[Any, int]] = {}

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        node = self._tree.root_id()
        parent_stack = [node]
        for part in path:
            child = self._child(node, part)
            if child is None:
                key = False
                break
            node = child
            parent_stack.append(node)
        offset = self._offset_of(node, key=key)
        while offset is None and len(parent_stack) > 1:
            parent_stack.pop()
            offset = self._offset_of(parent_stack[-1], key=True)
        return self._line_column(offset or 0)

    def first_duplicate_key(self, reported: str | None = None) -> tuple[int, int] | None:
        """Where a mapping names a key again, or None.

        "The same key" is decided as yaml_rs decides it, by the keys' loaded values: `"a"` and
        `a`, an empty key and `~`, `1` and `0x1` (and, as in a Python dict, `1` and `true`) are
        one key. A key that is an alias stands for its anchor's scalar. `reported` is the key
        as yaml_rs's error shows it (Python's repr): the first repeat of that key (mappings
        checked before what they hold, in document order) is the answer. Otherwise the walk
        covers the whole file and answers with the earliest repeat in the text.
        """
        tree = self._tree
        earliest: int | None = None
        # Only containers go on the stack, and each child costs one type() call: a 4 MB file
        # has some 350,000 nodes, each call into ryml about a microsecond.
        stack = [tree.root_id()]
        while stack:
            node = stack.pop()
            is_map = tree.is_map(node)
            seen: set[Any] = set()
            repeated = False
            containers = []
            for child in self._children(node):
                flags = tree.type(child)
                if flags & _CONTAINER:
                    containers.append(child)
                if not is_map or repeated:
                    continue
                name = self._key_value(child, flags)
                if name not in seen:
                    seen.add(name)
                    continue
                repeated = True
                # A key and value both empty (":" alone) have no text: point at the mapping.
                offset = self._offset_of(child, key=True)
                if offset is None:
                    offset = self._offset_of(node, key=True) or 0
                if reported is not None and repr(name) == reported:
                    return self._line_column(offset)
                earliest = offset if earliest is None else min(earliest, offset)
            stack.extend(reversed(containers))
        return None if earliest is None else self._line_column(earliest)

    def _key_value(self, node: int, flags: int | None = None) -> Any:
        """The key of `node` as yaml_rs loads it (`flags`: its ryml type, if already known)."""
        tree = self._tree
        if flags is None:
            flags = tree.type(node)
        text = _bytes(tree.key(node))
        if flags & ryml.KEYREF:
            if self._anchors is None:
                self._anchors = self._scalar_anchors()
            # An alias of a container equals only the same alias (ryml refuses container keys
            # written out, so no other key can be that container).
            return self._anchors.get(text[1:], ("*", text[1:]))
        tag = bytes(tree.key_tag(node)) if flags & ryml.KEYTAG else None
        cache_key = (text, flags & ryml.KEYQUO, tag)
        if cache_key not in self._key_values:
            self._key_values[cache_key] = _scalar_value(text, plain=not flags & ryml.KEYQUO,
                                                        tag=tag)
        return self._key_values[cache_key]

    def _scalar_anchors(self) -> dict[bytes, Any]:
        """The value of every anchored scalar (key or value), by anchor name."""
        tree = self._tree
        anchors: dict[bytes, Any] = {}
        stack = [tree.root_id()]
        while stack:
            node = stack.pop()
            flags = tree.type(node)
            if flags & ryml.KEYANCH:
                anchors[bytes(tree.key_anchor(node))] = _scalar_value(
                    _bytes(tree.key(node)), plain=not flags & ryml.KEYQUO,
                    tag=bytes(tree.key_tag(node)) if flags & ryml.KEYTAG else None)
            if flags & ryml.VALANCH and not tree.is_container(node):
                anchors[bytes(tree.val_anchor(node))] = _scalar_value(
                    _bytes(tree.val(node)), plain=not flags & ryml.VALQUO,
                    tag=bytes(tree.val_tag(node)) if flags & ryml.VALTAG else None)
            # Document order: of an anchor defined twice, the later definition wins.
            stack.extend(reversed(self._children(node)))
        return anchors

    def _children(self, node: int) -> list[int]:
        tree = self._tree
        children = []
        child = tree.first_child(node)
        while child != ryml.NONE:
            children.append(child)
            child = tree.next_sibling(child)
        return children

    def _child(self, node: int, part: str | int) -> int | None:
        tree = self._tree
        if tree.is_seq(node) and isinstance(part, int):
            if 0 <= part < tree.num_children(node):
                return int(tree.child(node, part))
            return None
        if tree.is_map(node):
            found = tree.find_child(node, str(part).encode())
            if found != ryml.NONE:
                return int(found)
            # Not written as Python writes it ("0x1" for 1, "~" or nothing for None, an
            # escaped or aliased key): look the data's key up by value, one index per mapping.
            if node not in self._key_indexes:
                index: dict[Any, int] = {}
                for child in self._children(node):
                    index.setdefault(self._key_value(child), child)
                self._key_indexes[node] = index
            return self._key_indexes[node].get(part)
        return None

    def _offset_of(self, node: int, *, key: bool) -> int | None:
        tree = self._tree
        if tree.has_key(node) and (key or tree.is_container(node) or not self._has_text(node)):
            offset = self._view_offset(tree.key(node))
            if offset is not None:
                return offset
            # An empty key (": value") has no text of its own: its value is where it is.
        if tree.has_val(node) and self._has_text(node):
            return self._view_offset(tree.val(node))
        if tree.is_container(node) and tree.has_children(node):
            return self._offset_of(int(tree.first_child(node)), key=True)
        return None

    def _has_text(self, node: int) -> bool:
        value = self._tree.val(node)
        return value is not None and len(value) > 0

    def _view_offset(self, view: memoryview | None) -> int | None:
        if view is None or len(view) == 0:
            return None
        offset = _address(view) - self._base
        if not 0 <= offset < len(self._raw):
            return None
        # Quoted scalars: point at the opening quote, where the node begins.
        if offset > 0 and self._raw[offset - 1 : offset] in (b'"', b"'"):
            offset -= 1
        return offset

    def _line_column(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            starts = np.flatnonzero(np.frombuffer(self._raw, dtype=np.uint8) == 10) + 1
            self._line_starts = [0, *starts.tolist()]
        line_index = bisect.bisect_right(self._line_starts, offset) - 1
        line_start = self._line_starts[line_index]
        column = len(self._raw[line_start:offset].decode("utf-8", errors="replace")) + 1
        return line_index + 1, column


NO_POSITIONS = object.__new__(PositionIndex)  # marker: this file's positions are unknowable


def _bytes(view: memoryview | None) -> bytes:
    """A key's or value's text; ryml has no view at all for an empty one (`: a`)."""
    return b"" if view is None else bytes(view)


def _scalar_value(text: bytes, *, plain: bool, tag: bytes | None) -> Any:
    """The value yaml_rs gives a scalar with this text: quoted, block or `!!str` scalars are
    strings; a plain one is typed by yaml_rs itself (so `~` and `` are None, `0x1` is 1)."""
    string = text.decode("utf-8", errors="replace")
    if not plain or tag in _STR_TAGS:
        return string
    try:
        value = yaml_rs.loads(string, parse_datetime=False)
    except Exception:  # text ryml read as one plain scalar but yaml_rs reads otherwise
        return string
    return value if isinstance(value, str | int | float | bool | None) else string


def _address(view: memoryview) -> int:
    interface = np.frombuffer(view, dtype=np.uint8).__array_interface__
    return int(interface["data"][0])
