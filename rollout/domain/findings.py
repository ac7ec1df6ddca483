"""Findings: compiler-style diagnostics with a code, a severity and a file:line:column.

Checks report *where* as a `Ref` (a section of the bundle and a path of keys and indexes inside
it); `resolve_findings` turns refs into file, line and column only for the findings that exist, so
a clean bundle never pays for positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
PathPart = str | int
Path = tuple[PathPart, ...]

#: Every finding code with a one-line description (DESIGN section 3, plus our own additions).
CATALOGUE: dict[str, str] = {
    "E100": "YAML syntax error (or a file that cannot be read as YAML at all)",
    "E101": "schema error: missing field, wrong type, unknown field, bad value",
    "E102": "duplicate id (facility, zone, region code, lane) or duplicate YAML key",
    "E110": "reference to an unknown facility, zone, station or region",
    "E111": "malformed range",
    "E120": "zone belongs to no region",
    "E121": "zone belongs to more than one region",
    "E122": "facility belongs to more than one region",
    "E130": "region has no fulfilment centre",
    "E131": "a delivery station of the region cannot be reached from the region's FCs in-region",
    "E140": "a hop of a route's via path has no lane",
    "E141": "no path from a candidate FC to the zone's station",
    "E142": "a route candidate is not a fulfilment centre",
    "E143": "zone has no route",
    "W150": "a route's first candidate FC lies outside the zone's region",
    "W151": "a route's path passes through a facility of another region",
    "W160": "region FC capacity below the region's demand",
    "W170": "route transit time over policy.sla_hours",
    "W112": "a zone range matches no zone",
}


def severity_of(code: str) -> Severity:
    return "error" if code.startswith("E") else "warning"


@dataclass(frozen=True, slots=True)
class Ref:
    """Where a finding points before positions are known: a bundle section and a path in it.

    `key=True` points at the mapping key of the last path part rather than at its value (used
    for unknown and duplicate keys).
    """

    section: str
    path: Path = ()
    key: bool = False


@dataclass(slots=True)
class Finding:
    code: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    hint: str | None = None
    ref: Ref | None = field(default=None, repr=False, compare=False)

    @property
    def severity(self) -> Severity:
        return severity_of(self.code)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }

    def as_text(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.file else "<bundle>"
        text = f"{where}: {self.severity} {self.code} {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        return cls(
            code=str(data["code"]),
            message=str(data["message"]),
            file=str(data.get("file") or ""),
            line=int(data.get("line") or 0),  # type: ignore[call-overload]  # JSON scalar
            column=int(data.get("column") or 0),  # type: ignore[call-overload]  # JSON scalar
            hint=(str(data["hint"]) if data.get("hint") else None),
        )


def finding(code: str, message: str, ref: Ref | None = None, hint: str | None = None) -> Finding:
    """A finding whose position will be filled in by `resolve_findings`."""
    return Finding(code=code, message=message, hint=hint, ref=ref)


Resolver = Callable[[Ref], tuple[str, int, int]]


def resolve_findings(findings: Iterable[Finding], resolver: Resolver) -> list[Finding]:
    """Fill file, line and column of every finding that still has only a `Ref`."""
    out: list[Finding] = []
    for item in findings:
        if item.ref is not None and not item.file:
            item.file, item.line, item.column = resolver(item.ref)
        out.append(item)
    return out


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then by file and position, so output reads like a compiler's."""
    return sorted(
        findings,
        key=lambda f: (f.severity != "error", f.file, f.line, f.column, f.code, f.message),
    )


def summary_line(findings: list[Finding]) -> str:
    tally = counts(findings)
    errors, warnings = tally["errors"], tally["warnings"]
    verdict = "valid" if errors == 0 else "invalid"
    return (
        f"{verdict}: {errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )


#: A refusal shown to a person or a script (the CLI's rollout commands, the API's 4xx bodies)
#: lists this many findings of one code, then one finding that counts the rest: a plan that
#: leaves 600 zones uncovered needs a few examples and the number, not 600 lines.
SHOWN_PER_CODE = 5


def counts(findings: list[Finding]) -> dict[str, int]:
    """`{"errors": N, "warnings": M}`, as `validate --format json` reports them."""
    errors = sum(1 for f in findings if f.severity == "error")
    return {"errors": errors, "warnings": len(findings) - errors}
