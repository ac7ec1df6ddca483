"""`text_diff`: what a change looks like, as a unified diff per file."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from rollout.domain.diff.changes import Json


@dataclass(frozen=True)
class FileDiff:
    """One file's unified diff (`a/NAME`, `b/NAME` headers, 3 lines of context)."""

    name: str
    status: Literal["added", "removed", "modified"]
    diff: str

    def as_dict(self) -> dict[str, Json]:
        return {"name": self.name, "status": self.status, "diff": self.diff}


def text_diff(old_files: dict[str, str], new_files: dict[str, str]) -> list[FileDiff]:
    """A unified diff per file name on either side, sorted by name; identical files left out and
    a file on one side only shown as wholly added or removed."""
    out: list[FileDiff] = []
    for name in sorted(old_files.keys() | new_files.keys()):
        old, new = old_files.get(name), new_files.get(name)
        if old == new:
            continue
        status: Literal["added", "removed", "modified"] = (
            "added" if old is None else "removed" if new is None else "modified")
        lines = unified_diff((old or "").splitlines(keepends=True),
                             (new or "").splitlines(keepends=True), name)
        out.append(FileDiff(name, status, "".join(lines)))
    return out


def unified_diff(a: list[str], b: list[str], name: str, context: int = 3) -> Iterator[str]:
    """`difflib.unified_diff(a, b, "a/NAME", "b/NAME", n=context)`, line for line, except that
    lines are matched by `_BlockMatcher`, and a last line without a newline is marked as git
    does ("\\ No newline at end of file")."""
    groups = list(_BlockMatcher(a, b).get_grouped_opcodes(context))
    if not groups:
        return
    yield f"--- a/{name}\n"
    yield f"+++ b/{name}\n"
    for group in groups:
        first, last = group[0], group[-1]
        yield f"@@ -{_hunk_range(first[1], last[2])} +{_hunk_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (_terminated(" " + line) for line in a[i1:i2])
                continue
            yield from (_terminated("-" + line) for line in a[i1:i2])
            yield from (_terminated("+" + line) for line in b[j1:j2])


def _hunk_range(start: int, stop: int) -> str:
    """A hunk header range as difflib writes it: "1" for one line, "0,0" for none."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return str(beginning)
    return f"{beginning - 1 if length == 0 else beginning},{length}"


def _terminated(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


class _BlockMatcher(difflib.SequenceMatcher[str]):
    """`SequenceMatcher` over lines that first matches whole YAML items, then refines lines.

    difflib alone takes seconds on a 4 MB network.yaml: block-style lanes repeat lines such as
    "  - from: FC-X" hundreds of times and every repeat is a candidate match. Items (a line
    indented by at most two spaces and the deeper lines under it) are nearly all unique, so
    matching items first is fast, and only the items that differ are matched line by line.
    """

    def __init__(self, a: list[str], b: list[str]) -> None:
        super().__init__(None, [], [], autojunk=False)
        self.a, self.b = a, b  # set directly: difflib's index of `b` is not used here
        self._blocks: list[difflib.Match] | None = None

    def get_matching_blocks(self) -> list[difflib.Match]:
        if self._blocks is None:
            sentinel = difflib.Match(len(self.a), len(self.b), 0)
            self._blocks = [*_merged(self._matches()), sentinel]
        return self._blocks

    def _matches(self) -> Iterator[tuple[int, int, int]]:
        a_starts, b_starts = _item_starts(self.a), _item_starts(self.b)
        a_items = ["".join(self.a[i:j]) for i, j in itertools.pairwise(a_starts)]
        b_items = ["".join(self.b[i:j]) for i, j in itertools.pairwise(b_starts)]
        items = difflib.SequenceMatcher(None, a_items, b_items, autojunk=False)
        for tag, i1, i2, j1, j2 in items.get_opcodes():
            a1, a2, b1, b2 = a_starts[i1], a_starts[i2], b_starts[j1], b_starts[j2]
            if tag == "equal":
                yield a1, b1, a2 - a1
            elif tag == "replace":
                lines = difflib.SequenceMatcher(None, self.a[a1:a2], self.b[b1:b2],
                                                autojunk=False)
                for i, j, size in lines.get_matching_blocks():
                    yield a1 + i, b1 + j, size


def _item_starts(lines: list[str]) -> list[int]:
    """Where items begin, then `len(lines)`: at line 0, at each list entry ("- ") and at each
    line indented by at most two spaces. A block-style lane or zone is one item that way."""
    starts = [i for i, line in enumerate(lines)
              if i == 0 or line.lstrip(" ").startswith("- ") or not line.startswith("   ")]
    return [*starts, len(lines)]


def _merged(matches: Iterable[tuple[int, int, int]]) -> list[difflib.Match]:
    """Adjacent matches joined into one, empty ones dropped (as difflib's own are)."""
    out: list[difflib.Match] = []
    for i, j, size in matches:
        if not size:
            continue
        if out and out[-1].a + out[-1].size == i and out[-1].b + out[-1].size == j:
            out[-1] = difflib.Match(out[-1].a, out[-1].b, out[-1].size + size)
        else:
            out.append(difflib.Match(i, j, size))
    return out
