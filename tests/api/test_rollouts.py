"""/rollouts: list, create (with the plan check), read, and the transitions with their
refusals (409 state machine, 403 role, 403 four eyes) (DESIGN sections 6 and 7). Rollbacks are
in test_rollbacks.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rollout.models import Rollout
from rollout.services.roles import Role, role_grant
from rollout.services.rollouts import rollout_create
from rollout.services.tokens import token_create
from tests.api.helpers import ApiClient, rollout_in
from tests.factories import user_factory, version_factory
from tests.rollout_factories import (
    People,
    make_live,
    moved_282_version,
    original_version,
    phases_of,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]


def plan(version_id: str, *groups: list[str], **extra: Any) -> dict[str, Any]:
    return {"version": version_id,
            "phases": [{"regions": g, "bake_minutes": 30} for g in groups or (["NE"],)],
            **extra}


# --- GET /rollouts, POST /rollouts, GET /rollouts/{id} -------------------------------------


def test_get_rollouts__two_rollouts__newest_first_filterable_by_state(
        as_role: AsRole, who: People) -> None:
    # Given a draft and an approved rollout
    draft = rollout_factory(original_version(), who=who)
    approved = rollout_factory(rerouted_version(), who=who, state="approved")

    # When a viewer lists all, then only the approved ones
    everything = as_role("viewer").get("/rollouts").json()
    only_approved = as_role("viewer").get("/rollouts", {"state": "approved"}).json()

    # Then
    assert everything["count"] == 2
    assert [r["id"] for r in everything["items"]] == [approved.id, draft.id]
    assert everything["items"][0]["created_by"] == "edna"
    assert [r["id"] for r in only_approved["items"]] == [approved.id]


def test_post_rollouts__editor_valid_plan__201_draft_with_phases_and_gates(
        as_role: AsRole, who: People) -> None:
    # Given a valid version
    version = original_version()
    body = plan(version.id, ["NE", "MA"], ["SE"], on_gate_failure="pause",
                gates=[{"kpi": "in_region_pct", "max_regression_pct": 2}])

    # When an editor plans it in two phases with a gate
    response = as_role("editor").post("/rollouts", body)

    # Then a draft exists with that plan, created by the token's user
    assert response.status_code == 201
    out = response.json()
    assert out["state"] == "draft" and out["version"] == version.id
    assert out["created_by"] == "edna" and out["on_gate_failure"] == "pause"
    assert [p["regions"] for p in out["phases"]] == [["NE", "MA"], ["SE"]]
    assert out["gates"] == [{"kpi": "in_region_pct", "max_regression_pct": 2.0, "query": ""}]
    assert Rollout.objects.get().id == out["id"]


def test_post_rollouts__plan_leaves_a_zone_unclaimed__422_with_findings(
        as_role: AsRole, who: People) -> None:
    # Given the original live everywhere and a version moving zone 282 from SE to MA
    make_live(original_version())
    moved = moved_282_version()

    # When SE (which gives 282 up) is planned before MA (which takes it)
    response = as_role("editor").post("/rollouts", plan(moved.id, ["SE"], ["MA"]))

    # Then the plan check refuses it, naming the gap after phase 1
    assert response.status_code == 422
    out = response.json()
    assert out["detail"] == "the plan check failed"
    assert [(f["code"], f["severity"]) for f in out["findings"]] == [("E120", "error")]
    assert out["findings"][0]["message"].startswith("after phase 1: zone 282")
    assert not Rollout.objects.exists()


@pytest.mark.parametrize(("groups", "gates", "detail"), [
    ((["NE", "MW"],), [], "has no region 'MW'"),
    ((["NE"], ["NE"]), [], "region NE is in two phases"),
    ((["NE"],), [{"kpi": "happiness", "max_regression_pct": 1}], "unknown KPI 'happiness'"),
], ids=["unknown region", "region twice", "unknown KPI"])
def test_post_rollouts__plan_mistake__422_with_reason(as_role: AsRole, who: People,
                                                     groups: tuple[list[str], ...],
                                                     gates: list[dict[str, Any]],
                                                     detail: str) -> None:
    response = as_role("editor").post("/rollouts", plan(original_version().id, *groups,
                                                        gates=gates))

    assert response.status_code == 422 and detail in response.json()["detail"]


def test_post_rollouts__gate_with_a_prometheus_query__stored_and_answered(
        as_role: AsRole, who: People, settings: Any) -> None:
    # Given Prometheus configured
    settings.RRM_PROMETHEUS_URL = "http://127.0.0.1:9"
    query = 'avg(in_region{region="$region"})'

    # When an editor plans a gate with its own query
    response = as_role("editor").post("/rollouts", plan(
        original_version().id, ["NE"], gates=[{"kpi": "in_region_pct", "max_regression_pct": 2,
                                               "query": query}]))

    # Then the gate keeps it, and answers it back
    assert response.status_code == 201
    assert response.json()["gates"] == [{"kpi": "in_region_pct", "max_regression_pct": 2.0,
                                         "query": query}]
    assert Rollout.objects.get().gates.get().query == query


@pytest.mark.parametrize(("url", "query", "detail"), [
    ("", 'avg(x{region="$region"})', "RRM_PROMETHEUS_URL is not set"),
    ("http://127.0.0.1:9", "avg(x)", "does not name $region"),
], ids=["no prometheus", "no placeholder"])
def test_post_rollouts__unusable_gate_query__422_saying_why(
        as_role: AsRole, who: People, settings: Any, url: str, query: str,
        detail: str) -> None:
    settings.RRM_PROMETHEUS_URL = url

    response = as_role("editor").post("/rollouts", plan(
        original_version().id, ["NE"], gates=[{"kpi": "fill_pct", "max_regression_pct": 1,
                                               "query": query}]))

    assert response.status_code == 422 and detail in response.json()["detail"]
    assert response.json()["detail"].startswith("gate fill_pct")
    assert not Rollout.objects.exists()


def test_post_rollouts__invalid_version__422(as_role: AsRole, who: People) -> None:
    broken = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    response = as_role("editor").post("/rollouts", plan(broken.id))

    assert response.status_code == 422 and "can never be rolled out" in response.json()["detail"]


def test_post_rollouts__unknown_version__404(as_role: AsRole, who: People) -> None:
    response = as_role("editor").post("/rollouts", plan("ffffffffffff"))

    assert response.status_code == 404 and "no version" in response.json()["detail"]


@pytest.mark.parametrize("body", [
    {"phases": [{"regions": ["NE"]}]},
    {"version": "x", "phases": []},
    {"version": "x", "phases": [{"regions": []}]},
    {"version": "x", "phases": [{"regions": ["NE"], "bake_minutes": -1}]},
    {"version": "x", "phases": [{"regions": ["NE"]}], "on_gate_failure": "shrug"},
], ids=["no version", "no phases", "empty phase", "negative bake", "unknown policy"])
def test_post_rollouts__schema_error__422(as_role: AsRole, who: People,
                                         body: dict[str, Any]) -> None:
    response = as_role("editor").post("/rollouts", body)

    assert response.status_code == 422 and not Rollout.objects.exists()


def test_get_rollout__existing__200_state_phases_and_events(as_role: AsRole,
                                                           who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], ["MA", "SE"], who=who,
                              state="approved")

    response = as_role("viewer").get(f"/rollouts/{rollout.id}")

    assert response.status_code == 200
    out = response.json()
    assert out["id"] == rollout.id and out["state"] == "approved"
    assert out["approved_by"] == "abe"
    assert [(p["regions"], p["state"]) for p in out["phases"]] == [
        (["NE"], "pending"), (["MA", "SE"], "pending")]
    assert [e["kind"] for e in out["events"]] == ["created", "approved"]


def test_get_rollout__unknown__404(as_role: AsRole, who: People) -> None:
    response = as_role("viewer").get("/rollouts/999999")

    assert response.status_code == 404 and response.json() == {"detail": "no rollout 999999"}


# --- transitions ---------------------------------------------------------------------------

#: action -> (role allowed, state it is allowed from, state it leads to, a role refused,
#: a state it is refused in)
TRANSITIONS: dict[str, tuple[str, str, str, str, str]] = {
    "approve": ("approver", "draft", "approved", "operator", "approved"),
    "start": ("operator", "approved", "running", "approver", "draft"),
    "pause": ("operator", "running", "paused", "editor", "approved"),
    "resume": ("operator", "paused", "running", "viewer", "running"),
    "cancel": ("editor", "draft", "cancelled", "approver", "running"),
}


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_post_transition__allowed_role_and_state__200_new_state(as_role: AsRole, who: People,
                                                               action: str) -> None:
    # Given a rollout in a state the action is allowed from
    role, allowed_from, leads_to, _, _ = TRANSITIONS[action]
    rollout = rollout_in(allowed_from, who)

    # When the right role asks for it
    response = as_role(role).post(f"/rollouts/{rollout.id}/{action}")

    # Then the rollout moves on, and says so
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == leads_to
    rollout.refresh_from_db()
    assert rollout.state == leads_to


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_post_transition__state_machine_refuses__409_with_state_and_action(
        as_role: AsRole, who: People, action: str) -> None:
    role, _, _, _, refused_in = TRANSITIONS[action]
    rollout = rollout_in(refused_in, who)

    response = as_role(role).post(f"/rollouts/{rollout.id}/{action}")

    assert response.status_code == 409
    out = response.json()
    assert out["state"] == refused_in and out["action"] == action
    assert out["detail"].startswith(f"cannot {action} a rollout that is {refused_in}")
    rollout.refresh_from_db()
    assert rollout.state == refused_in


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_post_transition__role_that_may_not__403_and_unchanged(as_role: AsRole, who: People,
                                                              action: str) -> None:
    _, allowed_from, _, wrong_role, _ = TRANSITIONS[action]
    rollout = rollout_in(allowed_from, who)

    response = as_role(wrong_role).post(f"/rollouts/{rollout.id}/{action}")

    assert response.status_code == 403
    assert "role" in response.json()["detail"]
    rollout.refresh_from_db()
    assert rollout.state == allowed_from


@pytest.mark.parametrize("action", [*TRANSITIONS, "rollback"])
def test_post_transition__unknown_rollout__404(as_role: AsRole, who: People,
                                              action: str) -> None:
    role = TRANSITIONS[action][0] if action in TRANSITIONS else "operator"

    response = as_role(role).post(f"/rollouts/424242/{action}", {"reason": "r"})

    assert response.status_code == 404


def test_post_approve__approver_is_the_creator__403_four_eyes(api_client: Any) -> None:
    # Given someone who is both editor and approver, and created the rollout
    both = user_factory("solo")
    role_grant(user=both, role=Role.EDITOR)
    _, approver_token = token_create(user=both, role=Role.APPROVER)
    rollout = rollout_create(version=original_version(), phases=phases_of(["NE"]), actor=both)

    # When they approve it with their approver token
    response = api_client(approver_token).post(f"/rollouts/{rollout.id}/approve")

    # Then four eyes refuse it
    assert response.status_code == 403 and "four eyes" in response.json()["detail"]
    rollout.refresh_from_db()
    assert rollout.state == "draft"


def test_post_cancel__operator_token_on_approved__200_cancelled(as_role: AsRole,
                                                              who: People) -> None:
    rollout = rollout_in("approved", who)

    response = as_role("operator").post(f"/rollouts/{rollout.id}/cancel")

    assert response.status_code == 200 and response.json()["state"] == "cancelled"
