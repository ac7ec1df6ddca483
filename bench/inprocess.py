"""In-process timings of the validation pipeline, phase by phase.

Two views: the pipeline's own `ValidationReport.timings` (whatever phase names it reports), and
the bench's own split of parsing (`loader.load_yaml` per file) from schema validation (each
section's pydantic model), which the pipeline reports as one phase.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rollout.domain.bundle import parse_bundle
from rollout.domain.loader import load_yaml
from rollout.domain.schema import SECTION_MODELS

NOT_AVAILABLE = "not available yet"


@dataclass
class PipelineTimings:
    parse_s: dict[str, float] = field(default_factory=dict)  # per file
    schema_s: dict[str, float] = field(default_factory=dict)  # per section
    parse_bundle_s: float = 0.0
    check_phase_s: float | None = None
    validate_phases_s: dict[str, float] = field(default_factory=dict)
    validate_total_s: float | None = None
    errors: int | None = None
    warnings: int | None = None
    notes: list[str] = field(default_factory=list)


def _median_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(runs):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def measure_pipeline(files: Mapping[str, bytes], *, runs: int) -> PipelineTimings:
    """Median of `runs` for each measurement. Never raises for a missing checks module."""
    out = PipelineTimings()
    for name, raw in files.items():
        out.parse_s[name], document = _median_of(runs, partial(load_yaml, name, raw))
        section = name.removesuffix(".yaml")
        if section in SECTION_MODELS and document.ok:
            model = SECTION_MODELS[section]
            out.schema_s[section], _ = _median_of(
                runs, partial(model.model_validate, document.data)
            )
    out.parse_bundle_s, parsed = _median_of(runs, lambda: parse_bundle(files))
    if parsed.findings:
        out.notes.append(
            f"parse_bundle reported {len(parsed.findings)} findings, e.g. "
            f"{parsed.findings[0].as_text()}"
        )
    try:
        from rollout.domain.checks import run_checks
        from rollout.domain.validate import validate_files  # noqa: F401  # probe only
    except ImportError as exc:
        out.notes.append(f"checks: {NOT_AVAILABLE} ({exc})")
        return out
    # The checks are being written while this runs: a crash there is reported, and the
    # figures measured so far are still printed.
    try:
        if parsed.bundle is not None:
            bundle = parsed.bundle
            out.check_phase_s, _ = _median_of(runs, lambda: run_checks(bundle, timings={}))
        _measure_validate_files(out, files, runs)
    except Exception as exc:
        out.notes.append(f"checks failed: {type(exc).__name__}: {exc}")
    return out


def _measure_validate_files(out: PipelineTimings, files: Mapping[str, bytes], runs: int) -> None:
    from rollout.domain.validate import validate_files

    reports, totals = [], []
    for _ in range(runs):
        started = time.perf_counter()
        reports.append(validate_files(files))
        totals.append(time.perf_counter() - started)
    out.validate_total_s = statistics.median(totals)
    keys = dict.fromkeys(key for report in reports for key in report.timings)
    out.validate_phases_s = {
        key: statistics.median(r.timings[key] for r in reports if key in r.timings) for key in keys
    }
    out.errors, out.warnings = reports[-1].errors, reports[-1].warnings
    if reports[-1].errors:
        out.notes.append(
            "validate found errors: " + "; ".join(f.as_text() for f in reports[-1].findings[:3])
        )


def profile_validate(files: Mapping[str, bytes], out: Path, *, top: int = 25) -> str:
    """cProfile one `validate_files` run; saves the stats to `out`, returns the top entries."""
    import cProfile
    import io
    import pstats

    from rollout.domain.validate import validate_files

    profiler = cProfile.Profile()
    profiler.runcall(validate_files, files)
    profiler.dump_stats(out)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()
