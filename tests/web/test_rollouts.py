"""The rollouts list, a rollout's page and status JSON, its buttons, the rollback and the
freeze override: who may, what the services refuse and how the page says so."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rollout.models import Rollout
from rollout.services.engine import rollout_advance
from rollout.services.freezes import freeze_create
from rollout.services.roles import Role, role_grant
from rollout.services.rollouts import GatePlan, rollout_create
from tests.factories import user_factory
from tests.rollout_factories import (
    Clock,
    People,
    drive,
    live_versions,
    make_live,
    original_version,
    phases_of,
    rerouted_version,
    rollout_factory,
)
from tests.web.helpers import (
    assert_forbidden,
    assert_login_redirect,
    assert_page_ok,
    client_as,
    role_clients,
)

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
GATE = GatePlan(kpi="in_region_pct", max_regression_pct=50.0)


def running_rollout(who: People) -> Rollout:
    """The original live everywhere; a running rollout of the rerouted version: NE+MA, then SE."""
    make_live(original_version())
    return rollout_factory(rerouted_version(), ["NE", "MA"], ["SE"], who=who, state="running",
                           gates=[GATE], bake_minutes=10)


def status_of(client: Client, rollout_id: int) -> dict[str, Any]:
    response = client.get(f"/rollouts/{rollout_id}/status.json")
    assert response.status_code == 200, response.status_code
    return json.loads(response.content)


def state_of(rollout: Rollout) -> str:
    rollout.refresh_from_db()
    return rollout.state


# --- who may see what -----------------------------------------------------------------------

@pytest.mark.parametrize("page", ["list", "detail", "status"])
@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "operator", "nobody",
                                  "anonymous"])
def test_rollout_pages__each_role__any_role_reads_nobody_forbidden_anonymous_to_login(
        who: People, page: str, role: str) -> None:
    # Given a draft rollout
    rollout = rollout_factory(original_version(), ["NE"], ["MA", "SE"], who=who)
    url = {"list": "/rollouts/", "detail": f"/rollouts/{rollout.id}/",
           "status": f"/rollouts/{rollout.id}/status.json"}[page]

    # When each kind of user asks for the page
    response = role_clients(who)[role].get(url)

    # Then every role may read it, a user without a role gets a 403, anonymous the login page
    if role == "anonymous":
        assert_login_redirect(response)
    elif role == "nobody":
        assert_forbidden(response)
    elif page == "status":
        assert json.loads(response.content)["state"] == "draft"
    else:
        assert f"/rollouts/{rollout.id}/" in assert_page_ok(response)


def test_rollout_list__rows__version_state_phases_people_and_planner_link_for_editors(
        who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], ["MA", "SE"], who=who,
                              state="approved")

    editor_html = assert_page_ok(client_as(who.editor).get("/rollouts/"))
    viewer_html = assert_page_ok(client_as(who.viewer).get("/rollouts/"))

    assert f'href="/versions/{rollout.version_id}/"' in editor_html
    assert '<span class="badge state-approved">approved</span>' in editor_html
    assert "NE</span> → <span" in editor_html and "MA, SE" in editor_html
    assert "edna" in editor_html and "abe" in editor_html
    assert 'href="/rollouts/new/"' in editor_html
    assert 'href="/rollouts/new/"' not in viewer_html


def test_rollout_list__state_filter__only_rollouts_in_that_state(who: People) -> None:
    version = original_version()
    draft = rollout_factory(version, ["NE"], who=who)
    cancelled = rollout_factory(version, ["MA"], who=who)
    client_as(who.editor).post(f"/rollouts/{cancelled.id}/cancel/")

    html = assert_page_ok(client_as(who.viewer).get("/rollouts/?state=cancelled"))

    assert f'href="/rollouts/{cancelled.id}/"' in html
    assert f'href="/rollouts/{draft.id}/"' not in html


def test_rollout_detail__unknown_rollout__404_page_not_500(who: People) -> None:
    client = client_as(who.viewer)

    page = client.get("/rollouts/999/")
    status = client.get("/rollouts/999/status.json")
    action = client_as(who.operator).post("/rollouts/999/start/")

    assert page.status_code == 404 and "There is no rollout 999" in page.content.decode()
    assert status.status_code == 404 and json.loads(status.content)["detail"]
    assert action.status_code == 404


def test_rollout_detail__draft__header_phases_events_and_only_the_allowed_buttons(
        who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], ["MA", "SE"], who=who)

    approver_html = assert_page_ok(client_as(who.approver).get(f"/rollouts/{rollout.id}/"))
    operator_html = assert_page_ok(client_as(who.operator).get(f"/rollouts/{rollout.id}/"))
    viewer_html = assert_page_ok(client_as(who.viewer).get(f"/rollouts/{rollout.id}/"))

    assert f'href="/versions/{rollout.version_id}/"' in viewer_html
    assert rollout.plan_digest[:12] in viewer_html
    assert "Phase 1" in viewer_html and "created by edna" in viewer_html
    assert f'action="/rollouts/{rollout.id}/approve/"' in approver_html
    assert f'action="/rollouts/{rollout.id}/start/"' not in approver_html
    assert f'action="/rollouts/{rollout.id}/cancel/"' in operator_html
    assert "Roll back" not in operator_html.split('id="rollback-dialog"')[0]
    assert "<form" not in viewer_html.split('data-fragment="actions"')[1].split("</section>")[0]


def test_rollout_events__actor_named_in_the_message__shown_once(who: People) -> None:
    # Given a rollout created by edna, approved by abe, then rolled back by otto
    rollout = running_rollout(who)
    rollout_advance(rollout_id=rollout.id, now=Clock().now)
    client_as(who.operator).post(f"/rollouts/{rollout.id}/rollback/", {"reason": "slow"})

    # When the page and the status are read
    html = assert_page_ok(client_as(who.viewer).get(f"/rollouts/{rollout.id}/"))
    events = html.split('class="events"', 1)[1].split("</ol>", 1)[0]
    status = status_of(client_as(who.viewer), rollout.id)

    # Then "created by edna" is not followed by "— edna"; "rolled back: slow" says who did it
    assert "created by edna" in events and "— edna" not in events
    assert "rolled back: slow" in events and "— otto" in events
    by_kind = {e["kind"]: e for e in status["events"]}
    assert by_kind["created"]["actor"] == "edna" and by_kind["created"]["by"] == ""
    assert by_kind["rolled_back"]["by"] == "otto"


# --- the buttons ----------------------------------------------------------------------------

def test_rollout_actions__approve_then_start__by_a_second_user_and_an_operator(
        who: People) -> None:
    # Given a draft created by the editor
    rollout = rollout_factory(original_version(), ["NE"], ["MA", "SE"], who=who)

    # When another user approves it and an operator starts it (plain form posts)
    approved = client_as(who.approver).post(f"/rollouts/{rollout.id}/approve/", follow=True)
    assert state_of(rollout) == "approved"
    started = client_as(who.operator).post(f"/rollouts/{rollout.id}/start/", follow=True)

    # Then each lands back on the page with a message, and the rollout runs
    assert f"Rollout {rollout.id} approved." in assert_page_ok(approved)
    assert f"Rollout {rollout.id} started." in assert_page_ok(started)
    assert state_of(rollout) == "running"


def test_rollout_approve__by_its_creator__refused_with_the_four_eyes_message(
        who: People) -> None:
    # Given a user who is both editor and approver, and a rollout they created
    both = user_factory("bea")
    role_grant(user=both, role=Role.EDITOR)
    role_grant(user=both, role=Role.APPROVER)
    rollout = rollout_create(version=original_version(), phases=phases_of(["NE"]), actor=both)
    client = client_as(both)

    # When they look at it and try to approve it
    page = assert_page_ok(client.get(f"/rollouts/{rollout.id}/"))
    response = client.post(f"/rollouts/{rollout.id}/approve/")
    as_json = client.post(f"/rollouts/{rollout.id}/approve/", **JSON)  # type: ignore[arg-type]

    # Then the button is disabled with the reason, and the post is refused as four eyes
    assert "disabled" in page.split(f'/rollouts/{rollout.id}/approve/"')[1].split("</form>")[0]
    assert "Four eyes: you created this rollout" in page
    assert response.status_code == 403
    assert "four eyes: the approver must not be the rollout&#x27;s creator" in (
        response.content.decode().lower())
    assert as_json.status_code == 403
    assert "four eyes" in json.loads(as_json.content)["detail"].lower()
    assert state_of(rollout) == "draft"


@pytest.mark.parametrize(("role", "action"), [
    ("viewer", "approve"), ("editor", "approve"), ("operator", "approve"),
    ("viewer", "start"), ("approver", "start"), ("editor", "pause"), ("viewer", "cancel"),
])
def test_rollout_action__wrong_role__403_naming_the_role(who: People, role: str,
                                                        action: str) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who, state="approved")

    response = role_clients(who)[role].post(f"/rollouts/{rollout.id}/{action}/")

    assert_forbidden(response)
    assert state_of(rollout) == "approved"


def test_rollout_action__not_allowed_in_this_state__409_saying_why(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who)

    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/start/",
                                            **JSON)  # type: ignore[arg-type]
    plain = client_as(who.operator).post(f"/rollouts/{rollout.id}/start/", follow=True)

    assert response.status_code == 409
    assert "cannot start a rollout that is draft" in json.loads(response.content)["detail"]
    assert "cannot start a rollout that is draft" in assert_page_ok(plain)
    assert state_of(rollout) == "draft"


def test_rollout_action__unknown_action__404(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who)

    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/explode/")

    assert response.status_code == 404


def test_rollout_action__without_csrf_token__refused(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who, state="approved")
    client = Client(enforce_csrf_checks=True)
    client.force_login(who.operator)

    response = client.post(f"/rollouts/{rollout.id}/start/")

    assert response.status_code == 403
    assert state_of(rollout) == "approved"


def test_rollout_action__get__method_not_allowed(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who, state="approved")

    response = client_as(who.operator).get(f"/rollouts/{rollout.id}/start/")

    assert response.status_code == 405
    assert state_of(rollout) == "approved"


def test_rollout_action__json_pause__answers_with_the_new_status(who: People) -> None:
    rollout = running_rollout(who)

    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/pause/",
                                            **JSON)  # type: ignore[arg-type]

    body = json.loads(response.content)
    assert response.status_code == 200 and body["status"]["state"] == "paused"
    assert "resume" in body["status"]["actions"]
    assert f'action="/rollouts/{rollout.id}/resume/"' in body["status"]["html"]["actions"]


# --- live status ----------------------------------------------------------------------------

def test_rollout_status__engine_steps__json_reflects_each_phase(
        who: People, django_assert_max_num_queries: Any) -> None:
    # Given a running rollout whose first phase the engine has activated
    rollout = running_rollout(who)
    clock = Clock()
    rollout_advance(rollout_id=rollout.id, now=clock.now)
    client = client_as(who.viewer)

    # When the page polls its status
    with django_assert_max_num_queries(18):  # the gates (and where each reads) are one more
        status = status_of(client, rollout.id)

    # Then phase 1 is baking until its bake is over, NE and MA are live on the new version
    rerouted = rollout.version_id
    assert status["state"] == "running"
    assert [p["state"] for p in status["phases"]] == ["baking", "pending"]
    assert status["phases"][0]["bake_until"] and status["phases"][0]["activated_at"]
    assert status["live"] == {"NE": rerouted, "MA": rerouted, "SE": original_version().id}
    assert status["next_due"]["what"] == "phase 2 starts"
    assert [e["kind"] for e in status["events"]][-1] == "phase_activated"
    assert "phase_activated" in status["html"]["events"]

    # When the engine runs to the end
    drive(rollout.id, clock)
    status = status_of(client, rollout.id)

    # Then the status says completed, with every gate judged
    assert status["state"] == "completed"
    assert status["progress"] == {"done": 2, "total": 2, "percent": 100}
    results = status["phases"][0]["gate_results"]
    assert {(g["region"], g["kpi"], g["passed"]) for g in results} == {
        ("NE", "in_region_pct", True), ("MA", "in_region_pct", True)}
    html = assert_page_ok(client.get(f"/rollouts/{rollout.id}/"))
    assert "in_region_pct" in html and '<span class="badge ok">pass</span>' in html


# --- rollback -------------------------------------------------------------------------------

def test_rollout_rollback__dialog__names_what_will_change(who: People) -> None:
    rollout = running_rollout(who)
    rollout_advance(rollout_id=rollout.id, now=Clock().now)
    original = original_version()

    operator_html = assert_page_ok(client_as(who.operator).get(f"/rollouts/{rollout.id}/"))
    viewer_html = assert_page_ok(client_as(who.viewer).get(f"/rollouts/{rollout.id}/"))

    changes = operator_html.split('data-fragment="rollback_changes"')[1].split("</div>")[0]
    for region in ("NE", "MA"):
        assert (f"<strong>{region}</strong>: <code>{rollout.version_id}</code> → back to "
                f"<code>{original.id}</code>") in changes
    assert "SE" not in changes  # phase 2 has not touched SE
    assert 'name="reason"' in operator_html and "required" in operator_html
    assert "Roll back…" in operator_html
    assert 'id="rollback-dialog"' not in viewer_html and "Roll back…" not in viewer_html


def test_rollout_rollback__operator_with_reason__regions_restored_and_status_says_so(
        who: People) -> None:
    # Given phase 1 (NE, MA) live on the rerouted version
    rollout = running_rollout(who)
    rollout_advance(rollout_id=rollout.id, now=Clock().now)
    original = original_version()
    client = client_as(who.operator)

    # When the operator rolls it back from the dialog (fetch with JSON)
    response = client.post(f"/rollouts/{rollout.id}/rollback/", {"reason": "Newark slower"},
                           **JSON)  # type: ignore[arg-type]

    # Then every region is back on the original before the answer, which carries the status
    assert response.status_code == 200
    assert live_versions() == {"NE": original.id, "MA": original.id, "SE": original.id}
    body = json.loads(response.content)
    assert body["status"]["state"] == "rolled_back"
    assert body["status"]["rollback_reason"] == "Newark slower"
    status = status_of(client_as(who.viewer), rollout.id)
    assert status["state"] == "rolled_back"
    assert status["events"][-1]["kind"] == "rolled_back"
    assert status["events"][-1]["actor"] == "otto"
    assert [p["state"] for p in status["phases"]] == ["rolled_back", "skipped"]


def test_rollout_rollback__plain_form_post__redirects_to_the_page_showing_it_done(
        who: People) -> None:
    rollout = running_rollout(who)
    rollout_advance(rollout_id=rollout.id, now=Clock().now)

    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/rollback/",
                                            {"reason": "bad numbers"}, follow=True)

    html = assert_page_ok(response)
    assert "rolled back" in html and "Rolled back: bad numbers" in html
    assert state_of(rollout) == "rolled_back"


@pytest.mark.parametrize("reason", ["", "   "])
def test_rollout_rollback__without_a_reason__refused_nothing_changes(who: People,
                                                                     reason: str) -> None:
    rollout = running_rollout(who)
    rollout_advance(rollout_id=rollout.id, now=Clock().now)
    before = live_versions()

    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/rollback/",
                                            {"reason": reason}, **JSON)  # type: ignore[arg-type]

    assert response.status_code == 422
    assert "needs a reason" in json.loads(response.content)["detail"]
    assert live_versions() == before and state_of(rollout) == "running"


def test_rollout_rollback__reason_over_the_bound__refused_nothing_changes(
        who: People) -> None:
    # This page posts the reason without a form: the service's bound is what holds
    rollout = running_rollout(who)
    rollout_advance(rollout_id=rollout.id, now=Clock().now)
    before = live_versions()

    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/rollback/",
                                            {"reason": "x" * 10_001}, **JSON)  # type: ignore[arg-type]

    assert response.status_code == 422
    assert "10,001 characters, over the 10,000 allowed" in json.loads(response.content)["detail"]
    assert live_versions() == before and state_of(rollout) == "running"


@pytest.mark.parametrize("role", ["viewer", "editor", "approver"])
def test_rollout_rollback__not_an_operator__403(who: People, role: str) -> None:
    rollout = running_rollout(who)

    response = role_clients(who)[role].post(f"/rollouts/{rollout.id}/rollback/",
                                            {"reason": "x"})

    assert_forbidden(response)
    assert state_of(rollout) == "running"


def test_rollout_rollback__draft__409_the_state_machine_says_why(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who)

    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/rollback/",
                                            {"reason": "x"}, **JSON)  # type: ignore[arg-type]

    assert response.status_code == 409
    assert "cannot rollback a rollout that is draft" in json.loads(response.content)["detail"]


# --- change freezes -------------------------------------------------------------------------

def test_rollout_freeze__phase_held__shown_and_operator_overrides_with_a_reason(
        who: People) -> None:
    # Given a change freeze now and a running rollout whose first phase has not started
    now = timezone.now()
    freeze_create(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1),
                  reason="holiday peak", actor=who.approver)
    rollout = running_rollout(who)
    rollout_advance(rollout_id=rollout.id, now=now)  # waits for the freeze

    # When the operator opens the page
    html = assert_page_ok(client_as(who.operator).get(f"/rollouts/{rollout.id}/"))
    viewer_html = assert_page_ok(client_as(who.viewer).get(f"/rollouts/{rollout.id}/"))

    # Then phase 1 is shown held by the freeze, and only the operator may override it
    assert "held by change freeze" in html and "holiday peak" in html
    override_url = f"/rollouts/{rollout.id}/phases/1/freeze-override/"
    assert override_url in html and override_url not in viewer_html
    refused = client_as(who.operator).post(override_url, {"reason": " "},
                                           **JSON)  # type: ignore[arg-type]
    assert refused.status_code == 422

    # When the operator overrides it with a reason
    response = client_as(who.operator).post(override_url, {"reason": "CEO says go"},
                                            follow=True)

    # Then the phase may start, and the page says who let it and why
    assert "Phase 1 may start during the change freeze." in assert_page_ok(response)
    phase = rollout.phases.get(index=0)
    assert phase.freeze_override_reason == "CEO says go"
    assert phase.freeze_override_by == who.operator
    assert "Freeze overridden by otto: CEO says go" in response.content.decode()
    assert_forbidden(client_as(who.viewer).post(override_url, {"reason": "x"}))
