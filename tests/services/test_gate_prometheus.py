"""Gates that read a real Prometheus server (issue 16, "Monitoring in"): the engine driven
through the services on the real clock, Prometheus scraping an exporter the test sets per
region. A regression seen in Prometheus rolls the rollout back by itself; a healthy one passes;
an outage, an empty result and NaN fail the gate closed with that reason.

Needs the `prometheus` binary (skipped without it; .ci/run installs it), no broker: these run
in the SQLite suite."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from rollout.domain.lifecycle import StepKind
from rollout.models import GateResult, Phase, Rollout
from rollout.selectors.metrics import metrics_business
from rollout.services.engine import rollout_advance
from rollout.services.rollouts import GatePlan
from tests.prometheus_server import Exporter, PrometheusServer, prometheus_or_skip
from tests.rollout_factories import (
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)
from tests.web.helpers import client_as

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TEMPLATE = 'avg(rrm_test_in_region_pct{region="$region"})'
NE_QUERY = 'avg(rrm_test_in_region_pct{region="NE"})'


@pytest.fixture(scope="module")
def exporter() -> Iterator[Exporter]:
    served = Exporter()
    yield served
    served.close()


@pytest.fixture(scope="module")
def prometheus(exporter: Exporter, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[PrometheusServer]:
    server = PrometheusServer(prometheus_or_skip(), exporter,
                              tmp_path_factory.mktemp("prometheus"))
    yield server
    server.stop()


@pytest.fixture
def monitoring(settings: Any, prometheus: PrometheusServer) -> PrometheusServer:
    settings.RRM_PROMETHEUS_URL = prometheus.url
    settings.RRM_PROMETHEUS_TIMEOUT_SECONDS = 2
    settings.RRM_PROMETHEUS_QUERIES = ""
    return prometheus


def ne_shows(exporter: Exporter, server: PrometheusServer, value: float) -> None:
    """Set NE's gauge and wait until Prometheus has scraped it."""
    exporter.in_region.labels("NE").set(value)
    server.wait_for(NE_QUERY, value)


def baking_rollout(who: People, *, query: str = TEMPLATE,
                   on_gate_failure: str = Rollout.OnGateFailure.ROLLBACK) -> Rollout:
    """The original live everywhere; a running rollout of the rerouted version, NE first,
    gated on in_region_pct (at most 2% worse), its first phase activated now (bake 0)."""
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], ["MA", "SE"], who=who,
                              state="running", bake_minutes=0.0, on_gate_failure=on_gate_failure,
                              gates=[GatePlan("in_region_pct", 2.0, query=query)])
    assert rollout_advance(rollout_id=rollout.id, now=timezone.now()).kind == StepKind.ACTIVATE
    return rollout


def judge_now(rollout: Rollout) -> GateResult:
    """The bake is over: the gate is judged now; its one result."""
    assert rollout_advance(rollout_id=rollout.id, now=timezone.now()).kind == StepKind.EVALUATE
    return GateResult.objects.get(phase__rollout=rollout, region="NE")


def local(moment: Any) -> str:
    return str(timezone.localtime(moment).isoformat(timespec="seconds"))


def kinds(rollout: Rollout) -> list[str]:
    return list(rollout.events.order_by("at", "id").values_list("kind", flat=True))


def test_prometheus_gate__regression_seen_in_prometheus__rolls_back_by_itself(
        who: People, exporter: Exporter, monitoring: PrometheusServer) -> None:
    # Given NE at 90% in Prometheus when phase 1 goes live
    ne_shows(exporter, monitoring, 90.0)
    rollout = baking_rollout(who)
    activated_at = Phase.objects.get(rollout=rollout, index=0).activated_at

    # When NE falls to 50% and the bake ends
    ne_shows(exporter, monitoring, 50.0)
    result = judge_now(rollout)

    # Then the gate failed on the Prometheus readings, stored with query, instants and values
    assert (result.passed, result.source) == (False, "prometheus")
    assert result.query == NE_QUERY
    assert (result.before, result.after) == (90.0, 50.0)
    assert result.before_at == activated_at and result.after_at == result.evaluated_at
    assert result.regression_pct is not None and math.isclose(result.regression_pct, 44.444,
                                                              rel_tol=1e-3)
    assert "in_region_pct regressed 44.44%" in result.reason
    # ... and the rollout rolled back by itself
    rollout.refresh_from_db()
    assert rollout.state == "rolled_back"
    assert kinds(rollout)[-3:] == ["phase_activated", "gates_failed", "rolled_back"]
    assert metrics_business().gates == {("in_region_pct", "fail"): 1}
    # ... and the rollout page shows the query, the instants, the values and the reason
    page = client_as(who.viewer).get(f"/rollouts/{rollout.id}/").content.decode()
    assert ('<code class="gate-query">avg(rrm_test_in_region_pct{region=&quot;NE&quot;})'
            '</code>') in page
    assert f'read before at <time datetime="{local(result.before_at)}">' in page
    assert f'after at <time datetime="{local(result.after_at)}">' in page
    assert "<td class=\"num\">90.00</td><td class=\"num\">50.00</td>" in page
    assert "prometheus: in_region_pct regressed 44.44%" in page


def test_prometheus_gate__healthy_from_the_queries_file__passes(
        who: People, exporter: Exporter, monitoring: PrometheusServer, settings: Any,
        tmp_path: Path) -> None:
    # Given the query from RRM_PROMETHEUS_QUERIES (the gate has none of its own), NE steady
    queries = tmp_path / "queries.yaml"
    queries.write_text(f"kpis:\n  in_region_pct: '{TEMPLATE}'\n")
    settings.RRM_PROMETHEUS_QUERIES = str(queries)
    ne_shows(exporter, monitoring, 91.0)
    rollout = baking_rollout(who, query="")

    # When the bake ends with NE a little better
    ne_shows(exporter, monitoring, 91.5)
    result = judge_now(rollout)

    # Then the gate passed on Prometheus's values and phase 1 passed
    assert (result.passed, result.source, result.query) == (True, "prometheus", NE_QUERY)
    assert (result.before, result.after) == (91.0, 91.5)
    assert Phase.objects.get(rollout=rollout, index=0).state == "passed"
    assert kinds(rollout)[-1] == "gates_passed"


@pytest.mark.parametrize(("after", "why"), [(None, "empty result"), (math.nan, "NaN")])
def test_prometheus_gate__empty_or_nan_after__fails_closed_saying_why(
        who: People, exporter: Exporter, monitoring: PrometheusServer, after: float | None,
        why: str) -> None:
    # Given a phase activated with a usable "before" reading
    ne_shows(exporter, monitoring, 80.0)
    rollout = baking_rollout(who)
    assert Phase.objects.get(rollout=rollout, index=0).prometheus_before["NE"][
        "in_region_pct"]["value"] == 80.0

    # When NE's series is gone (the exporter stopped reporting it) or NaN at bake end
    if after is None:
        exporter.in_region.remove("NE")
        monitoring.wait_gone(NE_QUERY)
    else:
        ne_shows(exporter, monitoring, after)
    result = judge_now(rollout)

    # Then the gate fails closed with that reason, and the failure policy acts
    assert not result.passed and result.before == 80.0 and result.after is None
    assert f"Prometheus 'after' reading failed: {why}" in result.reason
    rollout.refresh_from_db()
    assert rollout.state == "rolled_back"


def test_prometheus_gate__prometheus_down_at_bake_end__fails_closed_and_pauses(
        who: People, exporter: Exporter, settings: Any,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # Given a Prometheus of its own, up at activation
    server = PrometheusServer(prometheus_or_skip(), exporter, tmp_path_factory.mktemp("outage"))
    try:
        settings.RRM_PROMETHEUS_URL = server.url
        settings.RRM_PROMETHEUS_TIMEOUT_SECONDS = 2
        ne_shows(exporter, server, 88.0)
        rollout = baking_rollout(who, on_gate_failure=Rollout.OnGateFailure.PAUSE)
    finally:
        # When it goes down before the bake ends
        server.stop()
    result = judge_now(rollout)

    # Then the gate fails closed saying Prometheus was unreachable, and the rollout pauses
    assert not result.passed and result.before == 88.0 and result.after is None
    assert "Prometheus 'after' reading failed: Prometheus unreachable" in result.reason
    rollout.refresh_from_db()
    assert rollout.state == "paused"
    assert kinds(rollout)[-2:] == ["gates_failed", "paused"]
