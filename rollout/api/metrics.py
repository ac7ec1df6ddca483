"""GET /metrics: the Prometheus text format (DESIGN section 11).

Auth: a Bearer token of any role (`auth.caller_of_token`, the API's rule), or none at all when
RRM_METRICS_PUBLIC=true; otherwise 401 with a JSON `detail`. The answer holds:
- business metrics read from the database at this scrape (`selectors.metrics`: twelve
  aggregate queries, bounded by the number of regions and of unfinished rollouts), the same
  whichever process answers;
- this process's HTTP metrics and process metrics, or, in multiprocess mode
  (PROMETHEUS_MULTIPROC_DIR), those of every web worker and Celery pool process writing there.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import Metric
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from rollout.api.auth import caller_of_token
from rollout.selectors.metrics import BusinessMetrics, HistogramData, metrics_business
from rollout.services.roles import Role, RoleRequired
from rollout.telemetry.exposition import CONTENT_TYPE, exposition_text


class BusinessCollector:
    """The `rrm_*` business metrics, computed at each collect (each scrape)."""

    def collect(self) -> Iterable[Metric]:
        return business_families(metrics_business())


def business_families(data: BusinessMetrics) -> list[Metric]:
    live = GaugeMetricFamily("rrm_region_live_info", "1 for each live region, with its version",
                             labels=["region", "version"])
    for region, version in data.live:
        live.add_metric([region, version], 1)
    sequence = GaugeMetricFamily("rrm_live_state_sequence",
                                 "The live state's sequence: the newest activation's id",
                                 value=data.sequence)
    rollouts = GaugeMetricFamily("rrm_rollout_info",
                                 "1 for each rollout not yet finished, with its version and state",
                                 labels=["rollout", "version", "state"])
    for rollout_id, version, state in data.rollouts:
        rollouts.add_metric([str(rollout_id), str(version), state], 1)
    activations = CounterMetricFamily("rrm_activations", "Activations recorded, by kind "
                                      "(activate, rollback, region_rollback)", labels=["kind"])
    for kind, count in sorted(data.activations.items()):
        activations.add_metric([kind], count)
    rollbacks = CounterMetricFamily("rrm_rollbacks", "Rollbacks, by kind (one_click: of a "
                                    "rollout by a person; automatic: by a failed gate; region: "
                                    "of one region)", labels=["kind"])
    for kind, count in data.rollbacks.items():
        rollbacks.add_metric([kind], count)
    gates = CounterMetricFamily("rrm_gate_evaluations", "Gate evaluations (one per region and "
                                "KPI at a phase's bake end), by KPI and result",
                                labels=["kpi", "result"])
    for (kpi, result), count in sorted(data.gates.items()):
        gates.add_metric([kpi, result], count)
    kpis = GaugeMetricFamily("rrm_region_kpi", "The newest KPI value of each region, by source "
                             "(simulation, observed)", labels=["region", "kpi", "source"])
    for region, kpi, source, value in data.kpis:
        kpis.add_metric([region, kpi, source], value)
    webhooks = CounterMetricFamily("rrm_webhook_deliveries", "Webhook deliveries, by result "
                                   "(delivered, failed: gave up, pending)", labels=["result"])
    for status, count in sorted(data.webhooks.items()):
        webhooks.add_metric([status], count)
    return [live, sequence, rollouts, activations, rollbacks, gates,
            _histogram("rrm_phase_duration_seconds",
                       "Time from a phase's activation to its end (bake and gates included)",
                       data.phase_duration),
            _histogram("rrm_approval_wait_seconds",
                       "Time from a rollout's creation to its approval", data.approval_wait),
            kpis, webhooks]


def _histogram(name: str, documentation: str, data: HistogramData) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = [
        (_bound(bound), float(count)) for bound, count in zip(data.bounds, data.buckets,
                                                              strict=True)]
    buckets.append(("+Inf", float(data.count)))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=data.total)


def _bound(bound: float) -> str:
    return f"{bound:.1f}"


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The scrape: see the module's docstring for what it holds and who may read it."""
    if not settings.RRM_METRICS_PUBLIC:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        who = caller_of_token(token) if scheme.lower() == "bearer" and token.strip() else None
        if who is None:
            response = JsonResponse(
                {"detail": "GET /metrics needs an Authorization: Bearer <token> header with a "
                           "valid API token (any role), or RRM_METRICS_PUBLIC=true"},
                status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        try:  # any role may scrape; a token whose user has since lost every role may not
            who.require_any(*Role)
        except RoleRequired as exc:
            return JsonResponse({"detail": str(exc)}, status=403)
    return HttpResponse(exposition_text(extra=[BusinessCollector()]), content_type=CONTENT_TYPE)
