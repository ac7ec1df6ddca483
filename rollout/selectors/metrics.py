"""What `GET /metrics` reports about the business, read from the database at scrape time, so
every web process (and every machine) answers the same (rollout/api/metrics.py shapes it).

Bounded work per scrape: twelve queries, each an aggregate (COUNT / SUM / MAX grouped by a
label) or a read of at most a bounded number of rows: the live regions (one row per region),
the rollouts not yet finished (at most `ROLLOUTS_MAX`), and the newest KPI snapshot of each
(region, source) pair (two sources per region). No query returns one row per activation,
gate result, phase or delivery: counts and histogram buckets are computed by the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
)

from rollout.domain.lifecycle import TERMINAL
from rollout.models import (
    Activation,
    GateResult,
    KpiSnapshot,
    Phase,
    Rollout,
    RolloutEvent,
    WebhookDelivery,
)

#: at most this many unfinished rollouts are reported (the newest), so a scrape stays bounded
ROLLOUTS_MAX = 500
#: the upper bounds (seconds) of the histograms' buckets; +Inf is added by the exposition
PHASE_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)
APPROVAL_BUCKETS = (60.0, 300.0, 900.0, 3600.0, 14400.0, 43200.0, 86400.0, 259200.0, 604800.0)


@dataclass(frozen=True)
class HistogramData:
    """Cumulative counts per upper bound (`buckets[i]` for `bounds[i]`), the total count
    (the +Inf bucket) and the sum of the observations, in seconds."""

    bounds: tuple[float, ...]
    buckets: tuple[int, ...]
    count: int
    total: float


@dataclass(frozen=True)
class BusinessMetrics:
    live: list[tuple[str, str]]  # (region, version) of each live region
    sequence: int  # the newest activation's id: the live state's sequence
    rollouts: list[tuple[int, str, str]]  # (id, version, state) of rollouts not finished
    activations: dict[str, int]  # by Activation.kind
    rollbacks: dict[str, int]  # by one_click | region | automatic
    gates: dict[tuple[str, str], int]  # by (kpi, pass | fail)
    phase_duration: HistogramData
    approval_wait: HistogramData
    kpis: list[tuple[str, str, str, float]]  # (region, kpi, source, value)
    webhooks: dict[str, int]  # by WebhookDelivery.status


def metrics_business() -> BusinessMetrics:
    """Everything the business collector exports, read now (see the module's bounds)."""
    newest_ids = (Activation.objects.order_by().values("region").annotate(newest=Max("id"))
                  .values_list("newest", flat=True))
    live = sorted(Activation.objects.filter(id__in=newest_ids, version__isnull=False)
                  .values_list("region", "version_id"))
    sequence = Activation.objects.aggregate(newest=Max("id"))["newest"] or 0
    rollouts = list(Rollout.objects.exclude(state__in=[s.value for s in TERMINAL])
                    .order_by("-id").values_list("id", "version_id", "state")[:ROLLOUTS_MAX])
    activations = dict(Activation.objects.order_by().values("kind").annotate(n=Count("id"))
                       .values_list("kind", "n"))
    return BusinessMetrics(
        live=[(region, str(version)) for region, version in live],
        sequence=sequence,
        rollouts=sorted(rollouts),
        activations={kind: activations.get(kind, 0) for kind in Activation.Kind.values},
        rollbacks=_rollbacks(),
        gates=_gates(),
        phase_duration=_histogram(
            Phase.objects.filter(activated_at__isnull=False, finished_at__isnull=False),
            start="activated_at", end="finished_at", bounds=PHASE_BUCKETS),
        approval_wait=_histogram(
            Rollout.objects.filter(approved_at__isnull=False),
            start="created_at", end="approved_at", bounds=APPROVAL_BUCKETS),
        kpis=_kpis_latest(),
        webhooks=_webhooks(),
    )


def _rollbacks() -> dict[str, int]:
    """Rollbacks by kind: one-click rollbacks of a rollout by a person, automatic ones (the
    engine's, on a failed gate: no actor), and rollbacks of one region (one activation each)."""
    by_actor = RolloutEvent.objects.filter(kind="rolled_back").aggregate(
        one_click=Count("id", filter=Q(actor__isnull=False)),
        automatic=Count("id", filter=Q(actor__isnull=True)))
    region = Activation.objects.filter(kind=Activation.Kind.REGION_ROLLBACK).count()
    return {"one_click": by_actor["one_click"], "region": region,
            "automatic": by_actor["automatic"]}


def _gates() -> dict[tuple[str, str], int]:
    rows = (GateResult.objects.order_by().values("kpi", "passed").annotate(n=Count("id"))
            .values_list("kpi", "passed", "n"))
    return {(kpi, "pass" if passed else "fail"): n for kpi, passed, n in rows}


def _histogram(rows: QuerySet[Any], *, start: str, end: str,
               bounds: tuple[float, ...]) -> HistogramData:
    """One aggregate query: the cumulative count of rows whose `end - start` is at most each
    bound, their number and their summed duration."""
    rows = rows.annotate(took=ExpressionWrapper(F(end) - F(start), output_field=DurationField()))
    counts: dict[str, Any] = {
        f"le{i}": Count("id", filter=Q(took__lte=timedelta(seconds=bound)))
        for i, bound in enumerate(bounds)}
    result = rows.aggregate(**counts, count=Count("id"),
                            total=Sum("took", output_field=DurationField()))
    total = result["total"]
    return HistogramData(bounds=bounds, buckets=tuple(result[f"le{i}"] for i in range(len(bounds))),
                         count=result["count"],
                         total=total.total_seconds() if total is not None else 0.0)


def _kpis_latest() -> list[tuple[str, str, str, float]]:
    """The newest snapshot's values of each (region, source): one grouped query over the
    (region, source, -taken_at) index, one fetch of those snapshots (two per region)."""
    newest = (KpiSnapshot.objects.order_by().values("region", "source")
              .annotate(at=Max("taken_at")).values_list("region", "source", "at"))
    match = Q(pk__in=[])
    for region, source, at in newest:
        match |= Q(region=region, source=source, taken_at=at)
    chosen: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for pk, region, source, values in (KpiSnapshot.objects.filter(match)
                                       .values_list("id", "region", "source", "values")):
        key = (region, source)
        if key not in chosen or pk > chosen[key][0]:  # same instant: the later row wins
            chosen[key] = (pk, values)
    found: list[tuple[str, str, str, float]] = []
    for (region, source), (_, values) in sorted(chosen.items()):
        for kpi, value in sorted((values or {}).items()):
            if isinstance(value, int | float) and not isinstance(value, bool):
                found.append((region, str(kpi), source, float(value)))
    return found


def _webhooks() -> dict[str, int]:
    rows = dict(WebhookDelivery.objects.order_by().values("status").annotate(n=Count("id"))
                .values_list("status", "n"))
    return {status: rows.get(status, 0) for status in WebhookDelivery.Status.values}
