"""The one-click rollback (POST /rollouts/{id}/rollback) and POST /regions/{code}/rollback:
restored before the answer returns, 409 when there is nothing to roll back, operators only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rollout.models import Activation, Rollout
from rollout.services.engine import rollout_advance
from tests.api.helpers import ApiClient, rollout_in
from tests.factories import version_factory
from tests.rollout_factories import (
    Clock,
    People,
    live_versions,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]


def running_with_phase_1_live(who: People) -> Rollout:
    """The original live everywhere, a rollout of the rerouted version running with its
    phase 1 (NE) activated and phase 2 (MA, SE) pending."""
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], ["MA", "SE"], who=who, state="running")
    rollout_advance(rollout_id=rollout.id, now=Clock().now)
    assert live_versions()["NE"] == rerouted_version().id
    return rollout


# --- POST /rollouts/{id}/rollback ----------------------------------------------------------


def test_post_rollout_rollback__running_with_phase_1_live__200_regions_restored_at_once(
        as_role: AsRole, who: People) -> None:
    # Given NE already on the rollout's version, MA and SE still on the original
    rollout = running_with_phase_1_live(who)

    # When an operator rolls it back with a reason
    response = as_role("operator").post(f"/rollouts/{rollout.id}/rollback",
                                        {"reason": "Newark is slower"})

    # Then, before the response returned, NE is on the original again
    assert response.status_code == 200
    assert response.json()["state"] == "rolled_back"
    assert live_versions() == {code: original_version().id for code in ("NE", "MA", "SE")}
    [rollback] = Activation.objects.filter(kind=Activation.Kind.ROLLBACK)
    assert (rollback.region, rollback.reason, rollback.actor) == (
        "NE", "Newark is slower", who.operator)
    route = as_role("viewer").get("/route", {"zone": "070"}).json()
    assert route["version"] == original_version().id


@pytest.mark.parametrize("state", ["draft", "approved"])
def test_post_rollout_rollback__not_started__409(as_role: AsRole, who: People,
                                                state: str) -> None:
    rollout = rollout_in(state, who)

    response = as_role("operator").post(f"/rollouts/{rollout.id}/rollback", {"reason": "r"})

    assert response.status_code == 409 and response.json()["action"] == "rollback"


def test_post_rollout_rollback__editor__403(as_role: AsRole, who: People) -> None:
    rollout = running_with_phase_1_live(who)

    response = as_role("editor").post(f"/rollouts/{rollout.id}/rollback", {"reason": "r"})

    assert response.status_code == 403
    assert live_versions()["NE"] == rerouted_version().id


@pytest.mark.parametrize("body", [{}, {"reason": ""}], ids=["no reason", "empty reason"])
def test_post_rollout_rollback__without_a_reason__422(as_role: AsRole, who: People,
                                                     body: dict[str, str]) -> None:
    rollout = running_with_phase_1_live(who)

    response = as_role("operator").post(f"/rollouts/{rollout.id}/rollback", body)

    assert response.status_code == 422
    rollout.refresh_from_db()
    assert rollout.state == "running"


# --- POST /regions/{code}/rollback ---------------------------------------------------------


def test_post_region_rollback__earlier_version__200_region_on_it(as_role: AsRole,
                                                                 who: People) -> None:
    # Given the original, then the rerouted version live everywhere
    original = original_version()
    make_live(original)
    make_live(rerouted_version())

    # When an operator puts NE alone back on the original
    response = as_role("operator").post("/regions/NE/rollback",
                                        {"version": original.id[:6], "reason": "slower"})

    # Then NE is on it and the others are untouched
    assert response.status_code == 200
    out = response.json()
    assert (out["region"], out["version"], out["reason"]) == ("NE", original.id, "slower")
    assert live_versions() == {"NE": original.id, "MA": rerouted_version().id,
                               "SE": rerouted_version().id}


def test_post_region_rollback__version_null__200_region_out_of_service(as_role: AsRole,
                                                                       who: People) -> None:
    make_live(original_version())

    response = as_role("operator").post("/regions/NE/rollback",
                                        {"version": None, "reason": "take NE out"})

    assert response.status_code == 200 and response.json()["version"] is None
    assert as_role("viewer").get("/route", {"zone": "070"}).status_code == 404


def test_post_region_rollback__never_live__409(as_role: AsRole, who: People) -> None:
    version = original_version()

    response = as_role("operator").post("/regions/NE/rollback",
                                        {"version": version.id, "reason": "r"})

    assert response.status_code == 409 and "never been live" in response.json()["detail"]


def test_post_region_rollback__invalid_version__409(as_role: AsRole, who: People) -> None:
    make_live(original_version())
    broken = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    response = as_role("operator").post("/regions/NE/rollback",
                                        {"version": broken.id, "reason": "r"})

    assert response.status_code == 409 and "can never be live" in response.json()["detail"]


def test_post_region_rollback__unknown_version__404(as_role: AsRole, who: People) -> None:
    make_live(original_version())

    response = as_role("operator").post("/regions/NE/rollback",
                                        {"version": "ffffffffffff", "reason": "r"})

    assert response.status_code == 404


def test_post_region_rollback__approver__403(as_role: AsRole, who: People) -> None:
    original = original_version()
    make_live(original)

    response = as_role("approver").post("/regions/NE/rollback",
                                        {"version": None, "reason": "r"})

    assert response.status_code == 403 and live_versions()["NE"] == original.id


@pytest.mark.parametrize("body", [{"reason": "r"}, {"version": None}, {"version": None,
                                                                       "reason": ""}],
                         ids=["no version key", "no reason", "empty reason"])
def test_post_region_rollback__schema_error__422(as_role: AsRole, who: People,
                                                body: dict[str, Any]) -> None:
    make_live(original_version())

    response = as_role("operator").post("/regions/NE/rollback", body)

    assert response.status_code == 422
