"""web/gate_data.py: where each gate reads (the planner's check panel, the rollout page), from
the same rule the engine judges by."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rollout.models import Rollout
from rollout.services.rollouts import GatePlan
from rollout.web.gate_data import gate_plan_rows
from tests.rollout_factories import People, make_live, original_version, rollout_factory
from tests.web.helpers import client_as
from tests.web.test_planner import URL, plan_post

OWN = 'avg(fill{region="$region"})'


@pytest.fixture
def queries_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "queries.yaml"
    path.write_text("kpis:\n  in_region_pct: 'avg(in_region{region=\"$region\"}) * 100'\n")
    settings.RRM_PROMETHEUS_QUERIES = str(path)
    settings.RRM_PROMETHEUS_URL = "http://127.0.0.1:9"
    return path


def test_gate_plan_rows__own_file_or_none__each_gates_source(queries_file: Path) -> None:
    rows = gate_plan_rows([GatePlan("fill_pct", 1.0, query=OWN), GatePlan("in_region_pct", 2.0),
                           GatePlan("trucks", 5.0)])

    assert [(r["kpi"], r["source"], r["query"]) for r in rows] == [
        ("fill_pct", "prometheus", OWN),
        ("in_region_pct", "prometheus", 'avg(in_region{region="$region"}) * 100'),
        ("trucks", "posted", "")]
    assert rows[0]["said"] == "Prometheus, the rollout's own query"
    assert rows[1]["said"] == "Prometheus, the query of RRM_PROMETHEUS_QUERIES"


def test_gate_plan_rows__broken_queries_file__prometheus_that_cannot_be_read(
        queries_file: Path) -> None:
    # Given a file that names an unknown KPI on its line 2
    queries_file.write_text("kpis:\n  happiness: 'avg(h{region=\"$region\"})'\n")

    rows = gate_plan_rows([GatePlan("in_region_pct", 2.0)])

    # Then the gate still reads Prometheus (it fails closed), and says why it cannot
    assert rows[0]["source"] == "prometheus"
    assert f"{queries_file}:2:3: error E101 unknown KPI 'happiness'" in rows[0]["error"]


def test_gate_plan_rows__no_prometheus_url__the_file_is_not_used(queries_file: Path,
                                                                 settings: Any) -> None:
    settings.RRM_PROMETHEUS_URL = ""

    assert gate_plan_rows([GatePlan("in_region_pct", 2.0)])[0]["source"] == "posted"


@pytest.mark.django_db
def test_planner_check__gate_with_a_query__panel_says_it_reads_prometheus(
        who: People, settings: Any) -> None:
    # Given Prometheus configured, a plan with a gate that has its own query
    settings.RRM_PROMETHEUS_URL = "http://127.0.0.1:9"
    make_live(original_version())
    data = plan_post(original_version(), "NE", gates=(("fill_pct", "1"),))
    data["gate-0-query"] = OWN

    # When the plan is checked
    html = client_as(who.editor).post(URL, data).content.decode()

    # Then the check panel says where the gate reads, with the query, kept in the form
    assert "Where the gates read" in html
    assert ("fill_pct ≤ 1.0% worse: Prometheus, the rollout&#x27;s own query "
            "<code class=\"gate-query\">avg(fill{region=&quot;$region&quot;})</code>") in html
    assert 'value="avg(fill{region=&quot;$region&quot;})"' in html


@pytest.mark.django_db
def test_rollout_page__gate_reading_prometheus__pill_shows_the_query(
        who: People, settings: Any) -> None:
    settings.RRM_PROMETHEUS_URL = "http://127.0.0.1:9"
    make_live(original_version())
    rollout: Rollout = rollout_factory(original_version(), ["NE"], who=who,
                                       gates=[GatePlan("fill_pct", 1.0, query=OWN)])

    html = client_as(who.viewer).get(f"/rollouts/{rollout.id}/").content.decode()

    assert ("reads Prometheus, the rollout&#x27;s own query: <code class=\"gate-query\">"
            "avg(fill{region=&quot;$region&quot;})</code>") in html
