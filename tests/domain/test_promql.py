"""domain/promql.py: a KPI's query for a region, and an instant query's answer read as one
finite number or a reason to fail closed."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.domain.promql import (
    POSTED,
    GateSource,
    QueryTemplateError,
    gate_source,
    promql_queries_load,
    promql_reading,
    promql_render,
)

QUERY = 'avg(rrm_fill{region="NE"})'


def vector(*values: str) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"i": str(i)}, "value": [1.0, v]} for i, v in enumerate(values)]}}


def test_promql_render__template_with_placeholder__region_filled_in() -> None:
    assert promql_render(template='avg(fill{region="$region"})', region="NE") == \
        'avg(fill{region="NE"})'


@pytest.mark.parametrize(("template", "region", "why"), [
    ("avg(fill)", "NE", "does not name $region"),
    ('fill{region="$region"}', 'NE"} or vector(1) #', "not A-Z"),
])
def test_promql_render__unusable__refused_saying_why(template: str, region: str,
                                                     why: str) -> None:
    with pytest.raises(QueryTemplateError, match=why.replace("$", r"\$")):
        promql_render(template=template, region=region)


def test_promql_reading__one_series__its_value() -> None:
    reading = promql_reading(query=QUERY, at=5.0, answer=vector("71.5"))
    assert reading.ok and reading.value == 71.5 and (reading.query, reading.at) == (QUERY, 5.0)


def test_promql_reading__scalar__its_value() -> None:
    answer = {"status": "success", "data": {"resultType": "scalar", "result": [1.0, "3"]}}
    assert promql_reading(query=QUERY, at=1.0, answer=answer).value == 3.0


@pytest.mark.parametrize(("answer", "why"), [
    (vector(), "empty result"),
    (vector("1", "2"), "2 series"),
    (vector("NaN"), "NaN"),
    (vector("+Inf"), "infinite"),
    (vector("abc"), "not a number"),
    ({"status": "error", "errorType": "bad_data", "error": "parse error"}, "bad_data: parse"),
    ({"status": "success", "data": {"resultType": "matrix", "result": []}}, "matrix"),
    ([1, 2], "not a JSON object"),
    ({"status": "success"}, "no data"),
])
def test_promql_reading__not_one_finite_number__no_value_and_the_reason(answer: Any,
                                                                        why: str) -> None:
    reading = promql_reading(query=QUERY, at=1.0, answer=answer)
    assert not reading.ok and reading.value is None and why in reading.error


# --- the queries file and the source rule ---------------------------------------------------

KPIS = ("in_region_pct", "fill_pct")


def test_promql_queries_load__good_file__the_queries() -> None:
    loaded = promql_queries_load(name="q.yaml", kpis=KPIS,
                                 raw=b"kpis:\n  fill_pct: 'avg(f{region=\"$region\"})'\n")
    assert loaded.errors == [] and loaded.queries == {"fill_pct": 'avg(f{region="$region"})'}


@pytest.mark.parametrize(("raw", "where", "why"), [
    (b"- a\n", None, "must be a mapping with a mapping `kpis:`"),
    (b"kpis: {}\nextra: 1\n", (2, 1), "unknown key 'extra'"),
    (b"kpis:\n  fill_pct: 3\n", (2, 13), "fill_pct: the query must be a string"),
    (b"kpis:\n  fill_pct: '   '\n", (2, 13), "fill_pct: the query is empty"),
    (b"kpis:\n  fill_pct: {a: 1\n", None, "E100"),
], ids=["not a mapping", "unknown key", "not a string", "empty", "bad yaml"])
def test_promql_queries_load__mistake__no_queries_and_where(
        raw: bytes, where: tuple[int, int] | None, why: str) -> None:
    loaded = promql_queries_load(name="q.yaml", raw=raw, kpis=KPIS)

    assert loaded.queries == {}
    assert len(loaded.errors) == 1 and why in loaded.errors[0].as_text()
    if where is not None:
        assert (loaded.errors[0].line, loaded.errors[0].column) == where


def test_promql_queries_load__one_bad_entry__no_query_at_all() -> None:
    # Half a file would quietly judge some gates on the simulation
    loaded = promql_queries_load(name="q.yaml", kpis=KPIS, raw=(
        b"kpis:\n  fill_pct: 'avg(f{region=\"$region\"})'\n  in_region_pct: 'up'\n"))
    assert loaded.queries == {} and len(loaded.errors) == 1


def source(own: str = "", file: dict[str, str] | None = None, error: str = "",
           prometheus: bool = True) -> GateSource:
    return gate_source(kpi="fill_pct", own_query=own, file_queries=file or {},
                       file_error=error, prometheus_set=prometheus)


def test_gate_source__the_rule() -> None:
    own, filed = 'own{region="$region"}', 'file{region="$region"}'
    # a gate's own query always reads Prometheus (without a URL its readings fail closed)
    assert source(own, {"fill_pct": filed}) == GateSource("prometheus", own, "gate")
    assert source(own, prometheus=False).prometheus
    # else the file's query, only with Prometheus configured
    assert source(file={"fill_pct": filed}) == GateSource("prometheus", filed, "file")
    assert source(file={"fill_pct": filed}, prometheus=False) == POSTED
    # a broken file fails the gate closed instead of judging it on posted values
    assert source(error="q.yaml:2:3: ...") == GateSource("prometheus", "", "file",
                                                         "q.yaml:2:3: ...")
    # no query anywhere: posted observations, else the simulation
    assert source(file={"in_region_pct": filed}) == POSTED
