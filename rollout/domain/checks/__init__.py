"""The check catalogue (DESIGN section 3): every check is one function registered here.

A check takes a `CheckContext` (the typed bundle, its network arrays and networkx graph, who owns
what, and shared derived data such as every zone's main route path) and yields findings that
point at bundle nodes through `Ref`s. Adding a check means writing one function with `@check`.
"""

from __future__ import annotations

import time
from collections import Counter

from rollout.domain.bundle import Bundle

# Importing the modules registers their checks, in catalogue order.
from rollout.domain.checks import capacity, routes, structure  # noqa: F401
from rollout.domain.checks.context import CheckContext
from rollout.domain.checks.registry import REGISTRY, check
from rollout.domain.findings import Finding

#: Past this many findings of one code, one summary finding stands for the rest: a bundle with
#: 40,000 unassigned zones needs the first few and a count, not 40,000 lines.
MAX_FINDINGS_PER_CODE = 200

__all__ = ["MAX_FINDINGS_PER_CODE", "CheckContext", "check", "run_checks"]


def run_checks(bundle: Bundle, *, timings: dict[str, float] | None = None,
               cap: bool = True) -> list[Finding]:
    """Run every registered check over a schema-valid bundle. With `cap` (the default), past
    MAX_FINDINGS_PER_CODE findings of one code a summary stands for the rest."""
    started = time.perf_counter()
    context = CheckContext.build(bundle)
    if timings is not None:
        timings["graph"] = time.perf_counter() - started
    started = time.perf_counter()
    findings: list[Finding] = list(context.assignment.problems)
    for registered in REGISTRY:
        findings.extend(registered.function(context))
    if timings is not None:
        timings["checks"] = time.perf_counter() - started
    return cap_per_code(findings, MAX_FINDINGS_PER_CODE) if cap else findings


def cap_per_code(findings: list[Finding], limit: int) -> list[Finding]:
    counts = Counter(f.code for f in findings)
    if all(count <= limit for count in counts.values()):
        return findings
    kept: list[Finding] = []
    seen: Counter[str] = Counter()
    for item in findings:
        seen[item.code] += 1
        if seen[item.code] <= limit:
            kept.append(item)
        elif seen[item.code] == limit + 1:
            rest = counts[item.code] - limit
            kept.append(
                Finding(code=item.code, message=f"... and {rest:,} more {item.code} findings "
                        f"like this one: {item.message}", hint=item.hint, ref=item.ref)
            )
    return kept
