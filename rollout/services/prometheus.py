"""Instant queries to Prometheus's HTTP API (`RRM_PROMETHEUS_URL`), for KPIs read from
monitoring instead of posted (issue 16, "Monitoring in": the gates that use it are a later
step).

Bounded: one GET per reading, answered within RRM_PROMETHEUS_TIMEOUT_SECONDS (connect and
read), a body of at most 1 MiB. Every failure (not configured, unreachable, timeout, HTTP
error, a body that is not JSON, an empty or ambiguous result, NaN) is a `Reading` without a
value that says why: a gate fails closed on it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

from django.conf import settings

from rollout.domain.promql import Reading, promql_reading, promql_render

MAX_BODY_BYTES = 1024 * 1024


def prometheus_kpi_read(*, template: str, region: str, at: datetime) -> Reading:
    """The KPI's value for `region` at instant `at`: `template` with the region filled in,
    asked as an instant query."""
    return prometheus_query(query=promql_render(template=template, region=region), at=at)


def prometheus_query(*, query: str, at: datetime) -> Reading:
    """One instant query at `at` (see the module's bounds)."""
    instant = at.timestamp()
    base = settings.RRM_PROMETHEUS_URL.rstrip("/")
    if not base:
        return Reading(query=query, at=instant, value=None,
                       error="RRM_PROMETHEUS_URL is not set")
    timeout = float(settings.RRM_PROMETHEUS_TIMEOUT_SECONDS)
    address = f"{base}/api/v1/query?" + urllib.parse.urlencode(
        {"query": query, "time": f"{instant:.3f}", "timeout": f"{timeout:g}s"})
    request = urllib.request.Request(address, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_BODY_BYTES + 1)
    except urllib.error.HTTPError as exc:
        # Prometheus answers 400/422/503 with a JSON error body: keep its words when it has one
        try:
            answer = json.loads(exc.read(MAX_BODY_BYTES))
        except (ValueError, OSError):
            return Reading(query=query, at=instant, value=None,
                           error=f"Prometheus answered HTTP {exc.code}")
        return promql_reading(query=query, at=instant, answer=answer)
    except TimeoutError:
        return Reading(query=query, at=instant, value=None,
                       error=f"Prometheus did not answer within {timeout:g} s")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            why = f"Prometheus did not answer within {timeout:g} s"
        else:
            why = f"Prometheus unreachable: {reason}"
        return Reading(query=query, at=instant, value=None, error=why[:500])
    if len(body) > MAX_BODY_BYTES:
        return Reading(query=query, at=instant, value=None,
                       error=f"the answer is over {MAX_BODY_BYTES} bytes")
    try:
        answer = json.loads(body)
    except ValueError:
        return Reading(query=query, at=instant, value=None, error="the answer is not JSON")
    return promql_reading(query=query, at=instant, answer=answer)
