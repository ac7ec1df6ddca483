"""The whole validation pipeline: files -> parse -> schema -> graph -> checks -> findings.

Each phase is timed, so `validate --timings` and the benchmark can show where time goes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from rollout.domain.bundle import Bundle, ParsedBundle, parse_bundle
from rollout.domain.findings import Finding, resolve_findings, sort_findings
from rollout.domain.limits import CODE as LIMIT_CODE
from rollout.domain.limits import size_findings
from rollout.domain.loader import DEFAULT_MAX_BYTES


@dataclass
class ValidationReport:
    findings: list[Finding]
    bundle: Bundle | None
    parsed: ParsedBundle
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    @property
    def valid(self) -> bool:
        return self.errors == 0

    def as_dict(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.as_dict() for f in self.findings],
        }


def validate_files(
    files: Mapping[str, bytes], *, max_bytes: int = DEFAULT_MAX_BYTES,
    max_zones: int | None = None, max_facilities: int | None = None,
) -> ValidationReport:
    """Validate a bundle given as {file name: raw bytes}. Never raises on bad input.

    With `max_zones`/`max_facilities` a network over either is an E103 (domain.limits) and
    the graph checks are not run on it.
    """
    from rollout.domain.checks import run_checks  # the catalogue imports the graph stack

    timings: dict[str, float] = {}
    parsed = parse_bundle(files, max_bytes=max_bytes, timings=timings)
    findings = list(parsed.findings)
    if max_zones is not None or max_facilities is not None:
        findings.extend(size_findings(parsed, max_zones=max_zones or sys.maxsize,
                                      max_facilities=max_facilities or sys.maxsize))
    if parsed.bundle is not None and not any(f.code == LIMIT_CODE for f in findings):
        findings.extend(run_checks(parsed.bundle, timings=timings))
    started = time.perf_counter()
    resolved = sort_findings(resolve_findings(findings, parsed.resolve))
    timings["positions"] = time.perf_counter() - started
    return ValidationReport(findings=resolved, bundle=parsed.bundle, parsed=parsed,
                            timings=timings)
