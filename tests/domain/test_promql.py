"""domain/promql.py: a KPI's query for a region, and an instant query's answer read as one
finite number or a reason to fail closed."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.domain.promql import QueryTemplateError, promql_reading, promql_render

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
