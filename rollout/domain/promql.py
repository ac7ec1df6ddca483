"""KPIs read from Prometheus (issue 16, "Monitoring in"): a query per KPI with the region as a
parameter, and the reading of an instant query's answer, failing closed.

Pure functions: the HTTP call is `rollout.services.prometheus`. A reading that is not one finite
number (an empty result, several series, NaN or infinity, an error answer, a malformed body)
has no value and says why, so a gate judged on it fails with that reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rollout.domain.findings import Finding
from rollout.domain.loader import load_yaml

#: the placeholder a query names the region with, e.g. `avg(fill_pct{region="$region"})`
REGION_PLACEHOLDER = "$region"
_REGION_CODE = re.compile(r"[A-Z0-9_]{1,32}")
#: the longest query template accepted (a gate's own or the file's), in characters
MAX_QUERY_CHARS = 2000
#: the largest queries file read (RRM_PROMETHEUS_QUERIES)
MAX_QUERIES_FILE_BYTES = 1024 * 1024


class QueryTemplateError(ValueError):
    """A KPI's query template cannot be used (what and where in the message)."""


def promql_template_problem(template: str) -> str | None:
    """Why `template` cannot be a KPI's query (None: it can): empty, too long, a control
    character, or no `$region` (a query that ignores the region would judge every region on
    the same number)."""
    if not template.strip():
        return "the query is empty"
    if len(template) > MAX_QUERY_CHARS:
        return f"the query is {len(template)} characters, over {MAX_QUERY_CHARS}"
    if any(ord(c) < 32 and c not in "\t\n\r" for c in template):
        return "the query holds a control character"
    if REGION_PLACEHOLDER not in template:
        return f"the query {template[:200]!r} does not name {REGION_PLACEHOLDER}"
    return None


def promql_render(*, template: str, region: str) -> str:
    """The query for one region: every `$region` replaced by its code. Region codes are
    A-Z, 0-9 and `_` (DESIGN section 2), so the code cannot change the query's structure."""
    if not _REGION_CODE.fullmatch(region):
        raise QueryTemplateError(f"region code {region!r} is not A-Z, 0-9, _")
    problem = promql_template_problem(template)
    if problem:
        raise QueryTemplateError(problem)
    return template.replace(REGION_PLACEHOLDER, region)


@dataclass(frozen=True)
class QueryFile:
    """The KPI queries of a queries file (`kpis: {KPI: QUERY}`), and what is wrong with it;
    a file with errors gives no queries at all (half a file would judge some gates on the
    simulation that the operator meant to read from Prometheus)."""

    queries: dict[str, str] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)


def promql_queries_load(*, name: str, raw: bytes, kpis: Iterable[str]) -> QueryFile:
    """Read a queries file: one mapping `kpis:` of known KPI names to query templates (each
    naming `$region`). Every problem is an E100/E101 finding at its file:line:column."""
    document = load_yaml(name, raw, max_bytes=MAX_QUERIES_FILE_BYTES)
    if not document.ok:
        return QueryFile(errors=document.errors)
    known = tuple(kpis)

    def error(message: str, path: tuple[str, ...], *, key: bool = False,
              hint: str | None = None) -> Finding:
        line, column = document.position(path, key=key)
        return Finding(code="E101", message=message, file=name, line=line, column=column,
                       hint=hint)

    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("kpis"), dict):
        return QueryFile(errors=[error("the file must be a mapping with a mapping `kpis:` of "
                                       "KPI names to queries", ())])
    errors = [error(f"unknown key {key!r} (only `kpis`)", (str(key),), key=True)
              for key in data if key != "kpis"]
    queries: dict[str, str] = {}
    for kpi, query in data["kpis"].items():
        if kpi not in known:
            errors.append(error(f"unknown KPI {kpi!r}", ("kpis", str(kpi)), key=True,
                                hint=f"known: {', '.join(known)}"))
        elif not isinstance(query, str):
            errors.append(error(f"{kpi}: the query must be a string", ("kpis", kpi)))
        elif problem := promql_template_problem(query):
            errors.append(error(f"{kpi}: {problem}", ("kpis", kpi),
                                hint=f'e.g. avg(metric{{region="{REGION_PLACEHOLDER}"}})'))
        else:
            queries[kpi] = query
    return QueryFile(errors=errors) if errors else QueryFile(queries=queries)


@dataclass(frozen=True)
class GateSource:
    """Where a gate's values come from: Prometheus (`query` is the template; `error` when it
    cannot be read at all, so the gate fails closed), or "posted" (the observation posted for
    the region, else the simulation: the behaviour without Prometheus)."""

    kind: str  # "prometheus" | "posted"
    query: str = ""
    origin: str = ""  # "gate" (the rollout's own query) | "file" (RRM_PROMETHEUS_QUERIES)
    error: str = ""

    @property
    def prometheus(self) -> bool:
        return self.kind == "prometheus"


POSTED = GateSource(kind="posted")


def gate_source(*, kpi: str, own_query: str, file_queries: dict[str, str],
                file_error: str, prometheus_set: bool) -> GateSource:
    """The one rule for which source a gate uses. A gate's own query reads Prometheus
    (without RRM_PROMETHEUS_URL its readings fail closed, saying so); else, with Prometheus
    configured, the queries file's query for the KPI, and a file that cannot be used fails
    the gate closed rather than quietly judging it on the simulation; else posted."""
    if own_query:
        return GateSource(kind="prometheus", query=own_query, origin="gate")
    if not prometheus_set:
        return POSTED
    if file_error:
        return GateSource(kind="prometheus", origin="file", error=file_error)
    if kpi in file_queries:
        return GateSource(kind="prometheus", query=file_queries[kpi], origin="file")
    return POSTED


@dataclass(frozen=True)
class Reading:
    """One instant query's outcome: `value` when it gave one finite number, else None and
    `error` says why."""

    query: str
    at: float  # the instant asked for, Unix seconds
    value: float | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None


def promql_reading(*, query: str, at: float, answer: Any) -> Reading:
    """Read Prometheus's `/api/v1/query` answer (the decoded JSON) for `query` at `at`."""

    def fail(why: str) -> Reading:
        return Reading(query=query, at=at, value=None, error=why)

    if not isinstance(answer, dict):
        return fail("the answer is not a JSON object")
    if answer.get("status") != "success":
        return fail(f"Prometheus refused the query: {answer.get('errorType', 'error')}: "
                    f"{answer.get('error', 'no detail')}"[:500])
    data = answer.get("data")
    if not isinstance(data, dict):
        return fail("the answer has no data")
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        sample = result
    elif kind == "vector" and isinstance(result, list):
        if not result:
            return fail("empty result: no series matched")
        if len(result) > 1:
            return fail(f"{len(result)} series: the query must give exactly one "
                        "(aggregate it, e.g. with avg or sum)")
        sample = result[0].get("value") if isinstance(result[0], dict) else None
    else:
        return fail(f"result type {kind!r}: an instant query must give a vector or a scalar")
    if not (isinstance(sample, list) and len(sample) == 2):
        return fail("malformed sample")
    try:
        value = float(sample[1])
    except (TypeError, ValueError):
        return fail(f"not a number: {sample[1]!r}"[:200])
    if math.isnan(value):
        return fail("NaN")
    if math.isinf(value):
        return fail("infinite")
    return Reading(query=query, at=at, value=value)
