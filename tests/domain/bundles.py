"""Build bundles for domain tests: the east-coast example plus one textual breakage.

Every test states its breakage as "replace this text with that text" and finds the line it
expects a finding on by searching the edited text, so tests keep working when the example's
comments or layout change.

    files = east_coast().edit("regions.yaml", "[FC-ATL6, ", "[FC-ATL6, FC-BWI2, ")
    line = files.line_of("regions.yaml", "FC-BWI2, SC-ATL3")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from rollout.domain.bundle import parse_bundle
from rollout.domain.findings import Finding, resolve_findings, sort_findings
from rollout.domain.validate import ValidationReport, validate_files

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
EAST_COAST = EXAMPLES / "east-coast"
SECTIONS = ("network", "regions", "routing", "demand")


class BundleFiles(dict[str, bytes]):
    """A bundle's files by name (what `validate_files` takes), with editing and search helpers.

    Edits return a new `BundleFiles`; the original is never changed.
    """

    def text(self, name: str) -> str:
        return self[name].decode("utf-8")

    def edit(self, name: str, old: str, new: str) -> BundleFiles:
        """Replace `old` by `new` in file `name`; `old` must occur exactly once."""
        text = self.text(name)
        count = text.count(old)
        assert count == 1, f"{old!r} occurs {count} times in {name}, expected exactly once"
        return self.with_file(name, text.replace(old, new))

    def insert_before(self, name: str, anchor: str, new_text: str) -> BundleFiles:
        """Insert `new_text` just before `anchor` (which must occur exactly once)."""
        return self.edit(name, anchor, new_text + anchor)

    def insert_after(self, name: str, anchor: str, new_text: str) -> BundleFiles:
        """Insert `new_text` just after `anchor` (which must occur exactly once)."""
        return self.edit(name, anchor, anchor + new_text)

    def with_file(self, name: str, text: str | bytes) -> BundleFiles:
        files = BundleFiles(self)
        files[name] = text.encode("utf-8") if isinstance(text, str) else text
        return files

    def without(self, name: str) -> BundleFiles:
        files = BundleFiles(self)
        del files[name]
        return files

    def line_of(self, name: str, needle: str) -> int:
        return line_of(self.text(name), needle)

    def position_of(self, name: str, needle: str) -> tuple[int, int]:
        return position_of(self.text(name), needle)

    def position_after(self, name: str, prefix: str) -> tuple[int, int]:
        """(line, column) just after the (unique) `prefix`: where the node it introduces starts."""
        line, column = self.position_of(name, prefix)
        return line, column + len(prefix)

    def lines_of(self, name: str, needle: str, *, lines: int) -> range:
        """The `lines` lines starting at the (unique) line holding `needle`."""
        first = self.line_of(name, needle)
        return range(first, first + lines)


def east_coast() -> BundleFiles:
    """The valid east-coast example bundle, as raw bytes by file name."""
    return BundleFiles({path.name: path.read_bytes() for path in sorted(EAST_COAST.glob("*.yaml"))})


def position_of(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, column) of the start of `needle`, which must occur exactly once."""
    count = text.count(needle)
    assert count == 1, f"{needle!r} occurs {count} times, expected exactly once"
    index = text.index(needle)
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def line_of(text: str, needle: str) -> int:
    return position_of(text, needle)[0]


def column_of(text: str, needle: str) -> int:
    return position_of(text, needle)[1]


def indent(text: str, spaces: int = 2) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def single_file_text(sections: Mapping[str, str]) -> str:
    """One YAML file whose top-level keys are the sections, each holding its file's text.

    `sections` maps a section name (network, regions, routing, demand, or anything else to test
    unknown keys) to the YAML text its own file would hold; that text is indented under the key.
    """
    return "".join(f"{name}:\n{indent(text)}" for name, text in sections.items())


def single_file_bundle(
    files: Mapping[str, bytes] | None = None, *, name: str = "bundle.yaml",
    extra: Mapping[str, str] | None = None,
) -> BundleFiles:
    """The (east-coast unless given) directory bundle rewritten as one file named `name`."""
    source = east_coast() if files is None else files
    sections = {
        section: source[f"{section}.yaml"].decode("utf-8")
        for section in SECTIONS
        if f"{section}.yaml" in source
    }
    sections.update(extra or {})
    return BundleFiles({name: single_file_text(sections).encode("utf-8")})


def validate(files: Mapping[str, bytes]) -> ValidationReport:
    """The full pipeline (loader, schema, checks), as the product runs it."""
    return validate_files(files)


def parse_findings(files: Mapping[str, bytes]) -> list[Finding]:
    """Loader and schema findings with positions, without running the check catalogue."""
    parsed = parse_bundle(files)
    return sort_findings(resolve_findings(parsed.findings, parsed.resolve))


def with_code(findings: Iterable[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def where(findings: Iterable[Finding]) -> list[tuple[str, str, int, int]]:
    """(code, file, line, column) of each finding: compact for assertion messages."""
    return [(f.code, f.file, f.line, f.column) for f in findings]


def describe(findings: Iterable[Finding]) -> str:
    return "\n".join(f.as_text() for f in findings) or "(no findings)"
