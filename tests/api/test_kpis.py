"""/regions/{code}/kpis (before/after snapshots) and /regions/{code}/observations (observed
values, checked one by one; a retried post with the same Idempotency-Key is stored once)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from rollout.models import AuditEvent, KpiSnapshot
from rollout.services.engine import rollout_advance
from tests.api.helpers import ApiClient
from tests.rollout_factories import (
    Clock,
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]


def observed() -> Any:
    return KpiSnapshot.objects.filter(source=KpiSnapshot.Source.OBSERVED)


# --- GET /regions/{code}/kpis --------------------------------------------------------------


def test_get_region_kpis__phase_activated__200_before_and_after_snapshots(
        as_role: AsRole, who: People) -> None:
    # Given a rollout whose phase 1 (NE) was activated: before/after snapshots were taken
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], ["MA", "SE"], who=who, state="running")
    rollout_advance(rollout_id=rollout.id, now=Clock().now)

    # When a viewer reads NE's KPIs, then only the "after" ones
    everything = as_role("viewer").get("/regions/NE/kpis").json()
    after = as_role("viewer").get("/regions/NE/kpis", {"kind": "after"}).json()

    # Then both kinds are there, simulated, the "after" one for the rollout's version
    assert {s["kind"] for s in everything["items"]} == {"before", "after"}
    assert all(s["region"] == "NE" and s["source"] == "simulation"
               for s in everything["items"])
    assert [s["version"] for s in after["items"]] == [rerouted_version().id]
    assert "in_region_pct" in after["items"][0]["values"]
    assert as_role("viewer").get("/regions/MA/kpis").json()["count"] == 0


def test_get_region_kpis__more_than_a_page__count_limit_and_offset(as_role: AsRole,
                                                                   who: People) -> None:
    original_version()
    operator = as_role("operator")
    for trucks in (1, 2, 3):
        assert operator.post("/regions/NE/observations",
                             {"values": {"trucks": trucks}}).status_code == 201

    page = as_role("viewer").get("/regions/NE/kpis", {"limit": 2, "offset": 1}).json()

    assert (page["count"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [s["values"]["trucks"] for s in page["items"]] == [2, 1]


# --- POST /regions/{code}/observations -----------------------------------------------------


@pytest.mark.parametrize("role", ["observer", "operator"])
def test_post_observation__observer_or_operator__201_stored_and_audited(
        as_role: AsRole, who: People, role: str) -> None:
    # Given a known region
    original_version()

    # When monitoring posts observed values
    response = as_role(role).post("/regions/NE/observations",
                                  {"values": {"in_region_pct": 97.5, "trucks": 40},
                                   "source": "monitoring",
                                   "observed_at": "2026-01-02T03:04:05Z"})

    # Then they are stored as an observed snapshot, once, and audited
    assert response.status_code == 201
    out = response.json()
    assert out["values"] == {"in_region_pct": 97.5, "trucks": 40}
    assert (out["region"], out["source"], out["source_system"]) == (
        "NE", "observed", "monitoring")
    assert out["taken_at"].startswith("2026-01-02T03:04:05")
    assert observed().count() == 1
    assert AuditEvent.objects.filter(action="kpi.observed", object_id="NE").count() == 1


def test_post_observation__no_source__source_system_names_the_token(as_role: AsRole,
                                                                   who: People) -> None:
    original_version()

    out = as_role("operator").post("/regions/NE/observations",
                                   {"values": {"trucks": 1}}).json()

    assert out["source_system"].startswith("token:")


@pytest.mark.parametrize(("values", "problem"), [
    ({"happiness": 1}, "unknown KPI 'happiness'"),
    ({"in_region_pct": 101}, "is over 100"),
    ({"trucks": -1}, "is negative"),
    ({"trucks": 1.5}, "is not a whole number"),
    ({"avg_km": "far"}, "is not a number"),
    ({"avg_km": True}, "is not a number"),
    ({"avg_km": None}, "is not a number"),
], ids=["unknown KPI", "percentage over 100", "negative", "fractional count", "text", "boolean",
        "null"])
def test_post_observation__bad_value__422_naming_it(as_role: AsRole, who: People,
                                                   values: dict[str, Any],
                                                   problem: str) -> None:
    original_version()

    response = as_role("operator").post("/regions/NE/observations", {"values": values})

    assert response.status_code == 422 and problem in response.json()["detail"]
    assert not observed().exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_post_observation__non_finite_number__422(as_role: AsRole, who: People,
                                                 literal: str) -> None:
    original_version()

    response = as_role("operator").post("/regions/NE/observations",
                                        raw=f'{{"values": {{"avg_km": {literal}}}}}')

    assert response.status_code == 422 and "finite" in response.json()["detail"]
    assert not observed().exists()


def test_post_observation__integer_too_large_for_a_float__422_not_500(as_role: AsRole,
                                                                     who: People) -> None:
    """Product bug (kept failing on purpose): `kpi_observation_validate` calls
    `math.isfinite(value)` on a JSON integer such as 10**400, which raises OverflowError."""
    original_version()

    response = as_role("operator").post("/regions/NE/observations",
                                        raw='{"values": {"avg_km": 1' + "0" * 400 + "}}")

    assert response.status_code == 422
    assert not observed().exists()


def test_post_observation__unknown_region__422(as_role: AsRole, who: People) -> None:
    original_version()

    response = as_role("operator").post("/regions/XX/observations", {"values": {"trucks": 1}})

    assert response.status_code == 422 and "unknown region 'XX'" in response.json()["detail"]


@pytest.mark.parametrize("body", [{}, {"values": {}}, {"values": [1]},
                                  {"values": {"trucks": 1}, "observed_at": "soon"}],
                         ids=["no values", "empty values", "values a list", "bad time"])
def test_post_observation__schema_error__422(as_role: AsRole, who: People,
                                            body: dict[str, Any]) -> None:
    original_version()

    response = as_role("operator").post("/regions/NE/observations", body)

    assert response.status_code == 422 and not observed().exists()


def test_post_observation__retried_with_idempotency_key__200_same_snapshot_stored_once(
        as_role: AsRole, who: People) -> None:
    # Given an observation posted with an Idempotency-Key
    original_version()
    client = as_role("operator")
    key = {"Idempotency-Key": "monitoring-2026-01-02T03:04"}
    first = client.post("/regions/NE/observations", {"values": {"trucks": 40}}, headers=key)

    # When the poster retries it (its first answer was lost)
    retry = client.post("/regions/NE/observations", {"values": {"trucks": 40}}, headers=key)

    # Then the retry gets the first snapshot back with 200, and only one is stored
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert observed().count() == 1
    assert AuditEvent.objects.filter(action="kpi.observed").count() == 1


def test_post_observation__different_idempotency_keys__both_stored(as_role: AsRole,
                                                                   who: People) -> None:
    original_version()
    client = as_role("operator")

    one = client.post("/regions/NE/observations", {"values": {"trucks": 40}},
                      headers={"Idempotency-Key": "a"})
    two = client.post("/regions/NE/observations", {"values": {"trucks": 40}},
                      headers={"Idempotency-Key": "b"})

    assert (one.status_code, two.status_code) == (201, 201)
    assert observed().count() == 2


# --- who may post observations, and what is recorded of them -------------------------------


@pytest.mark.parametrize("role", ["editor", "approver", "viewer"])
def test_post_observation__editor_approver_or_viewer__403_nothing_stored(
        as_role: AsRole, who: People, role: str) -> None:
    # Given a rollout baking NE, judged on in-region share
    make_live(original_version())
    rollout_factory(rerouted_version(), ["NE"], who=who, state="running")

    # When someone who edits configs (or only approves or reads) posts a bad reading
    response = as_role(role).post("/regions/NE/observations",
                                  {"values": {"in_region_pct": 0.5}, "source": "monitoring"})

    # Then it is refused: gates are judged on monitoring's observations only
    assert response.status_code == 403 and "observer or operator" in response.json()["detail"]
    assert not observed().exists()


def test_post_observation__observer_token__token_and_source_recorded(
        as_role: AsRole, who: People) -> None:
    # Given a known region
    original_version()
    client = as_role("observer")

    # When monitoring posts with its observer token
    out = client.post("/regions/NE/observations",
                      {"values": {"trucks": 3}, "source": "prometheus"}).json()

    # Then the snapshot names the token and the source, in the database and in the answer
    prefix = client.authorization.split("_")[1]  # type: ignore[union-attr]  # a token is set
    snapshot = observed().get()
    assert snapshot.token is not None and snapshot.token.prefix == prefix
    assert (snapshot.source_system, out["token"], out["source_system"]) == (
        "prometheus", prefix, "prometheus")
    listed = as_role("viewer").get("/regions/NE/kpis").json()["items"]
    assert [item["token"] for item in listed] == [prefix]


@pytest.mark.parametrize("source", ["mon\x00itor", "mon\ud800"], ids=["NUL", "lone surrogate"])
def test_post_observation__source_that_cannot_be_stored__422_naming_it(
        as_role: AsRole, who: People, source: str) -> None:
    original_version()

    response = as_role("observer").post(
        "/regions/NE/observations",
        raw='{"values": {"trucks": 1}, "source": ' + json.dumps(source) + "}")

    assert response.status_code == 422 and "source" in str(response.json()["detail"])
    assert not observed().exists()
