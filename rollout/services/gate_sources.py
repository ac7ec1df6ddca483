"""Which source each KPI gate reads, with this deployment's settings, and the Prometheus
readings of a phase's gates (issue 16, "Monitoring in").

`gate_source_of` is the one place the engine, the plan check and the pages ask "where do this
gate's values come from?" (the rule itself is `rollout.domain.promql.gate_source`).
`gate_readings` asks Prometheus for every (region, gate) that reads it, at one instant.

Bounds: the queries file (RRM_PROMETHEUS_QUERIES) is at most 1 MiB and is read again only when
its size or modification time changes. `gate_readings` makes one instant query per (region,
Prometheus gate), at most READ_THREADS at a time, each answered within
RRM_PROMETHEUS_TIMEOUT_SECONDS: the worst case is ceil(regions x gates / READ_THREADS) x the
timeout (8 regions x 4 gates, 5 s: 20 s), spent before any lock is taken.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from rollout.domain.findings import Finding
from rollout.domain.gates import judge
from rollout.domain.promql import (
    MAX_QUERIES_FILE_BYTES,
    GateSource,
    QueryFile,
    QueryTemplateError,
    Reading,
    gate_source,
    promql_queries_load,
)
from rollout.domain.simulate import KPI_NAMES
from rollout.services.prometheus import prometheus_kpi_read

logger = logging.getLogger(__name__)

#: instant queries in flight at once for one phase's readings
READ_THREADS = 8

_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int], QueryFile]] = {}


def prometheus_queries_file() -> QueryFile:
    """The queries file named by RRM_PROMETHEUS_QUERIES, read and checked (empty without the
    setting). An unreadable file is a QueryFile with one E100 error saying why."""
    path = str(settings.RRM_PROMETHEUS_QUERIES or "")
    if not path:
        return QueryFile()
    try:
        stat = Path(path).stat()
    except OSError as exc:
        return _unreadable(path, exc)
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_QUERIES_FILE_BYTES + 1)
    except OSError as exc:
        return _unreadable(path, exc)
    loaded = promql_queries_load(name=path, raw=raw, kpis=KPI_NAMES)
    with _cache_lock:
        _cache[path] = (stamp, loaded)
    return loaded


def _unreadable(path: str, exc: OSError) -> QueryFile:
    return QueryFile(errors=[Finding(code="E100", file=path, line=1, column=1,
                                     message=f"cannot read the queries file: "
                                             f"{exc.strerror or exc}")])


def gate_source_of(*, kpi: str, own_query: str = "") -> GateSource:
    """Where a gate on `kpi` (with its own query, if any) reads its values, now."""
    prometheus_set = bool(settings.RRM_PROMETHEUS_URL)
    loaded = prometheus_queries_file() if prometheus_set and not own_query else QueryFile()
    file_error = ""
    if loaded.errors:
        first = loaded.errors[0]
        file_error = (f"RRM_PROMETHEUS_QUERIES cannot be used: {first.as_text()}"
                      + (f" (and {len(loaded.errors) - 1} more)" if len(loaded.errors) > 1
                         else ""))
    return gate_source(kpi=kpi, own_query=own_query, file_queries=loaded.queries,
                       file_error=file_error, prometheus_set=prometheus_set)


@dataclass(frozen=True)
class GateSpec:
    """What `gate_readings` needs of a gate: its KPI and its own query ("" for none)."""

    kpi: str
    query: str = ""


def gate_readings(*, regions: Sequence[str], gates: Iterable[GateSpec],
                  at: datetime) -> dict[tuple[str, str], Reading]:
    """(region, kpi) -> the reading at `at` of every gate that reads Prometheus (see the
    module's bounds). Gates that use posted values are left out; a gate whose source cannot
    be read (a broken queries file) gets a reading without a value that says why."""
    jobs: list[tuple[str, str, GateSource]] = []
    for gate in gates:
        source = gate_source_of(kpi=gate.kpi, own_query=gate.query)
        if source.prometheus:
            jobs.extend((region, gate.kpi, source) for region in regions)
    if not jobs:
        return {}

    def read(job: tuple[str, str, GateSource]) -> Reading:
        region, _, source = job
        if source.error:
            return Reading(query="", at=at.timestamp(), value=None, error=source.error)
        try:
            return prometheus_kpi_read(template=source.query, region=region, at=at)
        except QueryTemplateError as exc:
            return Reading(query=source.query, at=at.timestamp(), value=None, error=str(exc))

    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(jobs))) as pool:
        readings = list(pool.map(read, jobs))
    failed = sum(not r.ok for r in readings)
    logger.info("gate.prometheus_read queries=%s failed=%s rounds=%s", len(jobs), failed,
                math.ceil(len(jobs) / READ_THREADS))
    return {(region, kpi): reading for (region, kpi, _), reading in zip(jobs, readings,
                                                                        strict=True)}


def reading_stored(reading: Reading) -> dict[str, Any]:
    """A reading as kept in `Phase.prometheus_before` (JSON)."""
    return {"query": reading.query, "at": _instant(reading.at).isoformat(),
            "value": reading.value, "error": reading.error}


@dataclass(frozen=True)
class PrometheusVerdict:
    """A gate judged on its Prometheus readings, with what a GateResult keeps of them."""

    passed: bool
    regression_pct: float | None
    reason: str
    query: str
    before: float | None
    after: float | None
    before_at: datetime | None
    after_at: datetime | None


def gate_prometheus_judge(*, kpi: str, max_regression_pct: float,
                          before: dict[str, Any] | None,
                          after: Reading | None) -> PrometheusVerdict:
    """Judge a gate on its "before" reading (as stored at activation) and its "after" one.
    A reading that is missing or failed fails the gate closed with its reason."""
    before_value = before.get("value") if before else None
    before_at = datetime.fromisoformat(before["at"]) if before and before.get("at") else None
    after_at = _instant(after.at) if after is not None else None
    query = (after.query if after is not None else "") or (before or {}).get("query", "")
    problem = ""
    if before is None:
        problem = "no 'before' reading: the gate did not read Prometheus at activation"
    elif before.get("error"):
        problem = f"Prometheus 'before' reading failed: {before['error']}"
    elif after is None:
        problem = "no 'after' reading from Prometheus"
    elif not after.ok:
        problem = f"Prometheus 'after' reading failed: {after.error}"
    if problem:
        return PrometheusVerdict(False, None, f"{kpi}: {problem}", query, before_value,
                                 after.value if after else None, before_at, after_at)
    assert after is not None
    verdict = judge(kpi, max_regression_pct, before_value, after.value)
    return PrometheusVerdict(verdict.passed, verdict.regression_pct, verdict.reason, query,
                             before_value, after.value, before_at, after_at)


def _instant(at: float) -> datetime:
    return datetime.fromtimestamp(at, tz=UTC)
