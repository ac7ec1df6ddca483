"""POST /simulate within bounds (issue 12): every demand setting has a range that the OpenAPI
document shows, one simulation generates at most MAX_ITEMS items (orders x items per order),
and the endpoint is rate-limited per token like the other writes. Out of bounds is a 422 that
says what and where; nothing is computed or stored."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from rollout.api import ratelimit
from rollout.domain.demand import MAX_CATALOG, MAX_ITEMS, MAX_ITEMS_PER_ORDER, MAX_SEED, MAX_ZIPF
from rollout.models import SimulationJob, SimulationRun
from tests.api.helpers import API, ApiClient
from tests.factories import version_factory
from tests.rollout_factories import original_version

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]


def nothing_stored() -> bool:
    return not SimulationRun.objects.exists() and not SimulationJob.objects.exists()


def locations(response: Any) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize(("setting", "value"), [
    ("catalog", 0), ("catalog", MAX_CATALOG + 1),
    ("zipf", -0.5), ("zipf", MAX_ZIPF + 1),
    ("items_per_order", 0.5), ("items_per_order", MAX_ITEMS_PER_ORDER + 1),
    ("seed", -1), ("seed", MAX_SEED + 1),
])
def test_post_simulate__setting_out_of_bounds__422_naming_it_nothing_stored(
        as_role: AsRole, setting: str, value: float) -> None:
    # Given a valid version
    version = original_version()

    # When a viewer asks for a simulation with one setting outside its range
    response = as_role("viewer").post("/simulate", {"version": version.id,
                                                    "demand": {setting: value}})

    # Then it is refused with the place of the problem, and nothing was computed or stored
    assert response.status_code == 422
    assert locations(response) == [["body", "body", "demand", setting]]
    assert nothing_stored()


def test_post_simulate__catalog_of_a_trillion__422_not_a_7_tib_allocation(
        as_role: AsRole) -> None:
    """It was a 500: numpy was asked for a 7.28 TiB Zipf table."""
    version = original_version()

    response = as_role("viewer").post("/simulate", {"version": version.id,
                                                    "demand": {"catalog": 10**12}})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "body", "demand", "catalog"]
    assert f"{MAX_CATALOG}" in error["msg"]
    assert nothing_stored()


def test_post_simulate__infinite_items_per_order__422(as_role: AsRole) -> None:
    # Given a body whose JSON says Infinity (Python's json reads it)
    version = original_version()

    raw = f'{{"version": "{version.id}", "demand": {{"items_per_order": Infinity}}}}'

    response = as_role("viewer").post("/simulate", raw=raw)

    assert response.status_code == 422
    assert locations(response) == [["body", "body", "demand", "items_per_order"]]
    assert nothing_stored()


def test_post_simulate__more_items_than_one_simulation_may_generate__422_saying_the_limit(
        as_role: AsRole) -> None:
    # Given the east-coast example: 94,000 orders a day
    version = original_version()

    # When a viewer asks for 60 items per order (within its range: 5.6 M items in all)
    response = as_role("viewer").post("/simulate", {"version": version.id,
                                                    "demand": {"items_per_order": 60}})

    # Then it is refused, saying which setting, how much work that is and the limit
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("demand.items_per_order: 60 items per order x 94,000 orders")
    assert f"at most {MAX_ITEMS:,} items" in detail
    assert nothing_stored()


def test_post_simulate__version_whose_demand_yaml_is_too_much_work__422_naming_the_file(
        as_role: AsRole) -> None:
    # Given a valid version whose own demand.yaml asks for 60 items per order
    version = version_factory("heavy demand", demand=("items_per_order: 1.6",
                                                      "items_per_order: 60"))
    assert version.valid

    response = as_role("viewer").post("/simulate", {"version": version.id})

    assert response.status_code == 422
    assert response.json()["detail"].startswith("demand.yaml.items_per_order: 60 items per order")
    assert nothing_stored()


def test_post_simulate__within_bounds__200_as_before(as_role: AsRole) -> None:
    version = original_version()

    response = as_role("viewer").post("/simulate", {
        "version": version.id,
        "demand": {"catalog": 1000, "zipf": 0, "items_per_order": 2.5, "seed": 0}})

    assert response.status_code == 200
    assert response.json()["total"]["orders"] == 94_000


def test_post_simulate__third_within_a_minute__429_like_the_other_writes(
        as_role: AsRole, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two writes a minute per token, and a viewer who simulated twice this minute
    settings.RRM_WRITE_RATE_PER_MINUTE = 2
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_020.0))
    version = original_version()
    viewer = as_role("viewer")
    first = [viewer.post("/simulate", {"version": version.id}).status_code for _ in range(2)]

    # When it asks a third time (even for a cached result)
    response = viewer.post("/simulate", {"version": version.id})

    # Then it is told to wait; another token is not held back
    assert first == [200, 200]
    assert response.status_code == 429 and response["Retry-After"] == "40"
    assert as_role("editor").post("/simulate", {"version": version.id}).status_code == 200


def test_openapi__simulate__shows_every_bound_and_the_202_answer() -> None:
    # When the OpenAPI document is read
    document = Client().get(f"{API}/openapi.json").json()

    # Then the demand settings carry their ranges ...
    demand = document["components"]["schemas"]["SimulationDemand"]["properties"]
    assert (demand["catalog"]["exclusiveMinimum"], demand["catalog"]["maximum"]) == (
        0, MAX_CATALOG)
    assert (demand["items_per_order"]["minimum"], demand["items_per_order"]["maximum"]) == (
        1, MAX_ITEMS_PER_ORDER)
    assert (demand["seed"]["minimum"], demand["seed"]["maximum"]) == (0, MAX_SEED)
    assert (demand["zipf"]["minimum"], demand["zipf"]["maximum"]) == (0, MAX_ZIPF)
    # ... the work bound is said in words, the version ids are bounded too ...
    body = document["components"]["schemas"]["SimulateIn"]["properties"]
    assert f"{MAX_ITEMS:,} items" in body["demand"]["description"]
    assert body["version"]["maxLength"] == 64
    # ... and the operation documents 200 (the result) and 202 (a job to poll)
    responses = document["paths"][f"{API}/simulate"]["post"]["responses"]
    assert {"200", "202", "404", "409", "422", "429"} <= set(responses)
    assert responses["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SimulationJobOut"}
    assert f"{API}/simulations/{{job_id}}" in document["paths"]
