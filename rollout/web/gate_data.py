"""What the pages show of KPI gates: a plan's gates with the source each reads (the planner's
check panel and the rollout page, both from `gate_sources.gate_source_of`, the rule the engine
judges by), and one judged gate result (values, and for Prometheus the query and instants).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from django.utils import timezone

from rollout.models import GateResult
from rollout.services.gate_sources import gate_source_of


class GateLike(Protocol):
    """A planned gate (GatePlan) or a stored one (Gate)."""

    @property
    def kpi(self) -> str: ...

    @property
    def max_regression_pct(self) -> float: ...

    @property
    def query(self) -> str: ...


def gate_plan_rows(gates: Iterable[GateLike]) -> list[dict[str, Any]]:
    """Each gate with where it reads its values now: `source` "prometheus" (with the query
    template and whether it is the rollout's own or the queries file's, or why it cannot be
    read) or "posted" (observations posted for the region, else the simulation)."""
    rows = []
    for gate in gates:
        source = gate_source_of(kpi=gate.kpi, own_query=gate.query)
        if not source.prometheus:
            said = "posted observations, else the simulation"
        elif source.error:
            said = f"Prometheus, but it cannot be read: {source.error}"
        else:
            said = ("Prometheus, the rollout's own query" if source.origin == "gate"
                    else "Prometheus, the query of RRM_PROMETHEUS_QUERIES")
        rows.append({"kpi": gate.kpi, "max_regression_pct": gate.max_regression_pct,
                     "source": source.kind, "query": source.query, "error": source.error,
                     "said": said})
    return rows


def gate_result_row(g: GateResult, label: Callable[[datetime | None], str]) -> dict[str, Any]:
    """One judged gate as the rollout page and its status endpoint show it; `label` says a
    time for people (the page's own rule)."""
    return {"region": g.region, "kpi": g.kpi, "before": g.before, "after": g.after,
            "regression_pct": g.regression_pct, "max_regression_pct": g.max_regression_pct,
            "passed": g.passed, "source": g.source, "observed_by": _observed_by(g),
            "reason": g.reason, "query": g.query,
            "before_at": _local(g.before_at), "after_at": _local(g.after_at),
            "before_label": label(g.before_at), "after_label": label(g.after_at)}


def _local(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _observed_by(gate: GateResult) -> str:
    """Who posted the observation a gate was judged on: its source name and token, if known."""
    snapshot = gate.observation
    if snapshot is None:
        return ""
    token = f"token rrm_{snapshot.token.prefix}_…" if snapshot.token else ""
    return " · ".join(part for part in (snapshot.source_system, token) if part)
