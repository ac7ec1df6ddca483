"""services/gate_sources.py: the queries file as the settings name it, the readings of a
phase's gates (without a server: what fails before any query is sent), and the judgement
of a gate on its readings. Against a real Prometheus: test_gate_prometheus.py."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rollout.domain.promql import Reading
from rollout.services.gate_sources import (
    GateSpec,
    gate_prometheus_judge,
    gate_readings,
    prometheus_queries_file,
    reading_stored,
)

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
QUERY = 'avg(x{region="NE"})'


def test_prometheus_queries_file__file_changes__read_again(settings: Any,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("kpis:\n  fill_pct: 'avg(a{region=\"$region\"})'\n")
    settings.RRM_PROMETHEUS_QUERIES = str(path)
    assert prometheus_queries_file().queries == {"fill_pct": 'avg(a{region="$region"})'}

    path.write_text("kpis:\n  trucks: 'sum(t{region=\"$region\"})'\n")
    os.utime(path, ns=(1, 1))  # a different modification time, however fast the test runs

    assert prometheus_queries_file().queries == {"trucks": 'sum(t{region="$region"})'}


def test_gate_readings__no_gate_reads_prometheus__nothing_asked(settings: Any) -> None:
    settings.RRM_PROMETHEUS_URL, settings.RRM_PROMETHEUS_QUERIES = "", ""

    assert gate_readings(regions=["NE", "MA"], gates=[GateSpec("fill_pct")], at=AT) == {}


def test_gate_readings__own_query_without_prometheus_url__fails_closed_saying_so(
        settings: Any) -> None:
    settings.RRM_PROMETHEUS_URL = ""

    readings = gate_readings(regions=["NE", "MA"],
                             gates=[GateSpec("fill_pct", 'avg(f{region="$region"})')], at=AT)

    assert set(readings) == {("NE", "fill_pct"), ("MA", "fill_pct")}
    assert readings[("MA", "fill_pct")].query == 'avg(f{region="MA"})'
    assert readings[("MA", "fill_pct")].error == "RRM_PROMETHEUS_URL is not set"


def test_gate_readings__broken_queries_file__every_reading_fails_with_its_place(
        settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("kpis:\n  fill_pct: 'avg(f)'\n")
    settings.RRM_PROMETHEUS_URL, settings.RRM_PROMETHEUS_QUERIES = "http://127.0.0.1:9", str(path)

    readings = gate_readings(regions=["NE"], gates=[GateSpec("trucks")], at=AT)

    assert not readings[("NE", "trucks")].ok
    assert f"RRM_PROMETHEUS_QUERIES cannot be used: {path}:2:13" in \
        readings[("NE", "trucks")].error


def ok(value: float, at: datetime = AT) -> Reading:
    return Reading(query=QUERY, at=at.timestamp(), value=value)


def failed(error: str) -> Reading:
    return Reading(query=QUERY, at=AT.timestamp(), value=None, error=error)


@pytest.mark.parametrize(("before", "after", "why"), [
    (None, ok(90.0), "no 'before' reading"),
    (reading_stored(failed("NaN")), ok(90.0), "Prometheus 'before' reading failed: NaN"),
    (reading_stored(ok(90.0)), None, "no 'after' reading"),
    (reading_stored(ok(90.0)), failed("empty result: no series matched"),
     "Prometheus 'after' reading failed: empty result"),
], ids=["no before", "before failed", "no after", "after failed"])
def test_gate_prometheus_judge__reading_missing_or_failed__fails_closed_saying_why(
        before: dict[str, Any] | None, after: Reading | None, why: str) -> None:
    verdict = gate_prometheus_judge(kpi="in_region_pct", max_regression_pct=5.0,
                                    before=before, after=after)

    assert not verdict.passed and verdict.reason.startswith(f"in_region_pct: {why}")


def test_gate_prometheus_judge__both_readings__judged_with_query_instants_values() -> None:
    later = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)

    verdict = gate_prometheus_judge(kpi="in_region_pct", max_regression_pct=5.0,
                                    before=reading_stored(ok(90.0)), after=ok(88.0, later))

    assert verdict.passed and verdict.query == QUERY
    assert (verdict.before, verdict.after) == (90.0, 88.0)
    assert (verdict.before_at, verdict.after_at) == (AT, later)
