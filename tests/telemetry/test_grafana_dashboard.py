"""The Grafana dashboard in the repository (deploy/grafana/rrm.json): valid, one Prometheus
data source, and every metric its queries name exists in a real scrape of /metrics after real
activity (a rollout, a rollback, an observation, a webhook, HTTP requests and a Celery task)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from regions_config.celery import app
from rollout.services.activations import region_rollback
from rollout.services.kpis import kpi_observation_record
from rollout.services.rollouts import GatePlan
from rollout.services.webhooks import webhook_subscribe
from tests.metrics_scrape import Scrape
from tests.rollout_factories import (
    Clock,
    People,
    drive,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "rrm.json"
METRIC = re.compile(r"\b(rrm_[a-z0-9_]+)\b")


def queries(node: Any) -> Iterator[str]:
    """Every PromQL text in the dashboard: panels' targets, variables and annotations."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "query", "definition") and isinstance(value, str):
                yield value
            else:
                yield from queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from queries(item)


def test_dashboard__json__panels_with_prometheus_targets() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert dashboard["uid"] == "rrm-overview" and len(panels) >= 10
    assert all(p["targets"] and all(t["expr"] for t in p["targets"]) for p in panels)
    assert {p["datasource"]["uid"] for p in panels} == {"${DS_PROMETHEUS}"}
    titles = " ".join(p["title"] for p in panels).lower()
    for wanted in ("live map", "rollouts in flight", "rollbacks", "gate failures", "per region"):
        assert wanted in titles


@app.task(name="tests.telemetry.dashboard_probe")
def dashboard_probe() -> None:
    pass


@pytest.mark.django_db
@override_settings(RRM_METRICS_PUBLIC=True, RRM_WEBHOOK_ALLOW_PRIVATE=True)
def test_dashboard__every_metric_it_queries__exists_in_a_real_scrape(who: People) -> None:
    # Given real activity: a rollout with a gate run to its end, a region rolled back, an
    # observation, a webhook subscriber, API requests and a Celery task run
    make_live(original_version())
    webhook_subscribe(url="http://127.0.0.1:9/hook", secret="a-secret-of-16-chars", events=[],
                      actor=who.operator)
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who, state="running",
                              bake_minutes=0, gates=[GatePlan("in_region_pct", 50.0)])
    drive(rollout.id, Clock())
    region_rollback(region="MA", version=rerouted_version(), reason="r", actor=who.operator)
    kpi_observation_record(region="NE", values={"in_region_pct": 70.0})
    rollout_factory(rerouted_version(), ["SE"], who=who)
    Client().get("/healthz")
    dashboard_probe.apply()

    # When Prometheus scrapes
    response = Client().get("/metrics")
    assert response.status_code == 200
    names = Scrape(response.content.decode()).names()

    # Then every metric the dashboard asks for is there
    asked = {name for text in queries(json.loads(DASHBOARD.read_text()))
             for name in METRIC.findall(text)}
    assert len(asked) >= 10
    assert asked - names == set()
