"""KPIs read from Prometheus (issue 16, "Monitoring in"): a query per KPI with the region as a
parameter, and the reading of an instant query's answer, failing closed.

Pure functions: the HTTP call is `rollout.services.prometheus`. A reading that is not one finite
number (an empty result, several series, NaN or infinity, an error answer, a malformed body)
has no value and says why, so a gate judged on it fails with that reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

#: the placeholder a query names the region with, e.g. `avg(fill_pct{region="$region"})`
REGION_PLACEHOLDER = "$region"
_REGION_CODE = re.compile(r"[A-Z0-9_]{1,32}")


class QueryTemplateError(ValueError):
    """A KPI's query template cannot be used (what and where in the message)."""


def promql_render(*, template: str, region: str) -> str:
    """The query for one region: every `$region` replaced by its code. Region codes are
    A-Z, 0-9 and `_` (DESIGN section 2), so the code cannot change the query's structure."""
    if not _REGION_CODE.fullmatch(region):
        raise QueryTemplateError(f"region code {region!r} is not A-Z, 0-9, _")
    if REGION_PLACEHOLDER not in template:
        raise QueryTemplateError(f"the query {template!r} does not name {REGION_PLACEHOLDER}")
    return template.replace(REGION_PLACEHOLDER, region)


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
