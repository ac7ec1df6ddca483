"""Listings of a version's files for the UI: pygments-highlighted YAML with an anchor per line
(`network.yaml-L12`) and the findings shown on their lines, and side-by-side diffs.

Versions are immutable, so a listing is computed once per (version, file) and kept in the
process's byte-bounded cache (rollout.caches); large files skip highlighting and show a
truncated plain listing.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import YamlLexer

from rollout.caches import bounded_cache

#: Files larger than this are listed plainly (and truncated): highlighting 4 MB costs seconds.
HIGHLIGHT_MAX_BYTES = 300 * 1024
#: Whitespace and punctuation spans carry no colour worth their bytes (a third of the page).
_UNWRAP = re.compile(r'<span class="(?:w|p|p p-Indicator)">([^<]*)</span>')
#: Lines shown of a file too large to highlight.
PLAIN_MAX_LINES = 2000


@dataclass(frozen=True)
class LineNote:
    """A finding shown on its line."""

    severity: str
    code: str
    message: str
    column: int


@dataclass(frozen=True)
class Listing:
    name: str
    html: SafeString
    lines: int
    size: int
    highlighted: bool
    truncated: bool


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_id(name: str, line: int) -> str:
    """The element id of a listing's line: what a finding links to (`#network.yaml-L12`)."""
    return f"{name}-L{line}"


def listing(*, version_id: str, name: str, text: str,
            notes: dict[int, tuple[LineNote, ...]]) -> Listing:
    """The file as HTML lines with anchors, highlighted when small enough (cached)."""
    key = tuple(sorted(notes.items()))
    return _listing(version_id, name, text, key)


def _listing_key(version_id: str, name: str, text: str,
                 notes: tuple[tuple[int, tuple[LineNote, ...]], ...]) -> tuple[str, str, str]:
    """A version's file never changes: its id and the file's name (with a digest of the notes
    shown) name the listing, never the text itself."""
    del text
    digest = hashlib.sha1(repr(notes).encode(), usedforsecurity=False).hexdigest()
    return version_id, name, digest


@bounded_cache(key=_listing_key, size_of=lambda listing, *_: sys.getsizeof(listing.html) + 512)
def _listing(version_id: str, name: str, text: str,
             notes: tuple[tuple[int, tuple[LineNote, ...]], ...]) -> Listing:
    del version_id  # part of the cache key only: the text of a version's file never changes
    size = len(text.encode("utf-8"))
    # Lines as the YAML loader and pygments count them (\r\n, \r, \n), not str.splitlines(),
    # which also breaks at U+2028 and friends and would shift every later line number.
    source_lines = _LINE_BREAK.split(text)
    if source_lines and source_lines[-1] == "":
        source_lines.pop()
    truncated = False
    if size <= HIGHLIGHT_MAX_BYTES:
        formatter = HtmlFormatter(nowrap=True)
        # stripnl=False: pygments would drop leading blank lines and shift every line number.
        html = highlight(text, YamlLexer(stripnl=False), formatter)
        html_lines = _UNWRAP.sub(r"\1", html).split("\n")
    else:
        truncated = len(source_lines) > PLAIN_MAX_LINES
        html_lines = [escape(line) for line in source_lines[:PLAIN_MAX_LINES]]
    by_line = dict(notes)
    width = len(str(len(source_lines)))
    out: list[str] = []
    for number, content in enumerate(html_lines[:len(source_lines)], start=1):
        anchor = escape(line_id(name, number))
        line_notes = by_line.get(number, ())
        classes = "line hll finding-line" if line_notes else "line"
        title = (' title="' + escape("; ".join(f"{n.code} {n.message}" for n in line_notes))
                 + '"') if line_notes else ""
        out.append(f'<span id="{anchor}" class="{classes}"{title}><a class="ln" '
                   f'href="#{anchor}">{number:>{width}}</a> '
                   f"{content}</span>")
        for note in line_notes:
            # The note repeats the line's gutter (same element, same padding and border) and the
            # separating space, so its caret lands exactly under column `note.column`.
            out.append(f'<span class="note {note.severity}" role="note">'
                       f'<span class="ln" aria-hidden="true">{" " * width}</span> '
                       f'<span class="pad">{" " * (note.column - 1)}</span>'
                       f'<span class="caret">^</span> {escape(note.severity)} '
                       f"{escape(note.code)}: {escape(note.message)}</span>")
    # Each line is a block of its own: no newline between them (it would show as a blank line).
    return Listing(name=name, html=mark_safe("".join(out)),  # escaped above
                   lines=len(source_lines), size=size, highlighted=size <= HIGHLIGHT_MAX_BYTES,
                   truncated=truncated)


def notes_by_file(findings: Iterable[dict[str, object]]) -> dict[str, dict[int, tuple[LineNote,
                                                                                       ...]]]:
    """Stored findings (dicts) grouped by file, then by line."""
    grouped: dict[str, dict[int, list[LineNote]]] = {}
    for item in findings:
        file, line = str(item.get("file") or ""), int(item.get("line") or 0)  # type: ignore[call-overload]  # JSON scalar
        if not file or line <= 0:
            continue
        grouped.setdefault(file, {}).setdefault(line, []).append(LineNote(
            severity=str(item.get("severity") or "error"), code=str(item.get("code")),
            message=str(item.get("message")),
            column=int(item.get("column") or 1)))  # type: ignore[call-overload]  # JSON scalar
    return {file: {line: tuple(notes) for line, notes in lines.items()}
            for file, lines in grouped.items()}


def pygments_css() -> str:
    """The token colours for `.code` listings (written into versions.css once)."""
    return str(HtmlFormatter(style="default").get_style_defs(".code"))


# --- side-by-side diffs ---------------------------------------------------------------------

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: `kind` is equal, change, delete, insert or skip."""

    kind: str
    old_number: int | None = None
    old_text: str = ""
    new_number: int | None = None
    new_text: str = ""
    skipped: int = 0

    @property
    def old_sign(self) -> str:
        return "-" if self.kind in ("change", "delete") else ""

    @property
    def new_sign(self) -> str:
        return "+" if self.kind in ("change", "insert") else ""


@dataclass
class SideBySide:
    name: str
    status: str
    rows: list[DiffRow] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    truncated: int = 0


def side_by_side(name: str, status: str, unified: str, *, old_lines: int,
                 max_rows: int = 3000) -> SideBySide:
    """Rows for two columns from a unified diff (with its context lines); the unchanged runs
    between hunks become one "skip" row each. At most `max_rows` rows; the rest is counted."""
    result = SideBySide(name=name, status=status)
    old_no = new_no = 1
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []

    def flush() -> None:
        for index in range(max(len(removed), len(added))):
            old = removed[index] if index < len(removed) else None
            new = added[index] if index < len(added) else None
            kind = "change" if old and new else "delete" if old else "insert"
            _push(result, DiffRow(kind, old[0] if old else None, old[1] if old else "",
                                  new[0] if new else None, new[1] if new else ""), max_rows)
        removed.clear()
        added.clear()

    for line in unified.splitlines():
        if line.startswith(("--- ", "+++ ")) and not removed and not added:
            continue
        match = _HUNK.match(line)
        if match:
            flush()
            start = int(match.group(1)) + (match.group(2) == "0")
            if start > old_no:
                _push(result, DiffRow("skip", skipped=start - old_no), max_rows)
            old_no, new_no = start, int(match.group(3)) + (match.group(4) == "0")
            continue
        tag, body = line[:1], line[1:]
        if tag == "\\":
            continue
        if tag == "-":
            removed.append((old_no, body))
            old_no += 1
            result.removed += 1
        elif tag == "+":
            added.append((new_no, body))
            new_no += 1
            result.added += 1
        else:
            flush()
            _push(result, DiffRow("equal", old_no, body, new_no, body), max_rows)
            old_no += 1
            new_no += 1
    flush()
    if old_lines >= old_no and status == "modified":
        _push(result, DiffRow("skip", skipped=old_lines - old_no + 1), max_rows)
    return result


def _push(result: SideBySide, row: DiffRow, max_rows: int) -> None:
    if len(result.rows) < max_rows:
        result.rows.append(row)
    else:
        result.truncated += 1


def count_lines(texts: Sequence[str]) -> list[int]:
    return [len(text.splitlines()) for text in texts]
