"""The rollout planner page: who may use it, the plan check shown before create, and create."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from rollout.domain.findings import Finding
from rollout.models import Rollout, Version
from rollout.web.views import planner
from tests.rollout_factories import (
    People,
    make_live,
    moved_282_version,
    original_version,
)
from tests.web.helpers import (
    assert_forbidden,
    assert_login_redirect,
    assert_page_ok,
    client_as,
    role_clients,
)

pytestmark = pytest.mark.django_db

URL = "/rollouts/new/"


def plan_post(version: Version, *phases: str, gates: tuple[tuple[str, str], ...] = (),
              action: str = "check", checked: str = "", bake: str = "30",
              start_after: str = "", on_gate_failure: str = "rollback") -> dict[str, Any]:
    """The planner form as a browser without JavaScript posts it (one text field per phase)."""
    data: dict[str, Any] = {
        "version": version.id, "on_gate_failure": on_gate_failure, "checked_digest": checked,
        "action": action,
        "phase-TOTAL_FORMS": str(len(phases)), "phase-INITIAL_FORMS": "0",
        "gate-TOTAL_FORMS": str(len(gates)), "gate-INITIAL_FORMS": "0",
    }
    for i, regions in enumerate(phases):
        data[f"phase-{i}-regions"] = regions
        data[f"phase-{i}-bake_minutes"] = bake
        data[f"phase-{i}-start_after"] = start_after if i == 0 else ""
    for i, (kpi, limit) in enumerate(gates):
        data[f"gate-{i}-kpi"] = kpi
        data[f"gate-{i}-max_regression_pct"] = limit
    return data


def checked_digest(html: str) -> str:
    marker = 'name="checked_digest" value="'
    assert marker in html, "the check did not pass"
    return html.split(marker, 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("role", ["editor", "viewer", "approver", "operator", "nobody",
                                  "anonymous"])
def test_planner__each_role__only_editors_may_plan(who: People, role: str) -> None:
    # Given a valid version
    version = original_version()

    # When each kind of user opens the planner for it
    response = role_clients(who)[role].get(f"{URL}?version={version.id}")

    # Then editors get the page, anonymous users the login, everyone else a 403 naming the role
    if role == "editor":
        assert_page_ok(response)
    elif role == "anonymous":
        assert_login_redirect(response)
    else:
        assert_forbidden(response)
        assert "editor" in response.content.decode()


def test_planner_get__version_given__regions_with_live_version_and_no_plan_check(
        who: People, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given NE live on the original version and a second version to plan
    original = original_version()
    make_live(original, ["NE"])
    moved = moved_282_version()
    monkeypatch.setattr(planner, "plan_check", lambda **kw: pytest.fail("GET ran the check"))

    # When the editor opens the planner with ?version=
    html = assert_page_ok(client_as(who.editor).get(f"{URL}?version={moved.id}"))

    # Then the version is preselected, each region is a card with its live version, the
    # no-script fields are there, and Create waits for a check
    assert f'<option value="{moved.id}" selected>' in html
    for code in ("NE", "MA", "SE"):
        assert f'data-code="{code}"' in html
    assert f"live: <code>{original.id}</code>" in html
    assert html.count("not live") >= 2
    assert 'name="phase-0-regions"' in html
    assert 'name="phase-0-start_after"' in html and 'placeholder="YYYY-MM-DD HH:MM"' in html
    assert 'type="datetime-local"' not in html  # the browser's locale would show 12-hour US
    assert 'id="create-button" disabled' in html
    assert "UTC" in html


def test_planner_get__unknown_version__says_so_and_offers_the_list(who: People) -> None:
    original_version()

    html = assert_page_ok(client_as(who.editor).get(f"{URL}?version=nope"))

    assert "No valid version" in html and 'id="plan-form"' not in html


def test_planner_check__passing_plan__findings_shown_create_enabled_nothing_created(
        who: People) -> None:
    # Given nothing live: a first rollout may go region by region
    version = original_version()

    # When the editor checks a two-phase plan with a gate
    response = client_as(who.editor).post(URL, plan_post(
        version, "NE", "MA, se", gates=(("in_region_pct", "2"),)))

    # Then the check passed, each phase has its section, Create is enabled, nothing exists yet
    html = assert_page_ok(response)
    assert "The plan check passed" in html
    assert "After phase 1" in html and "After phase 2" in html
    assert "Before the rollout (what a rollback restores)" in html
    assert checked_digest(html)
    assert 'id="create-button" disabled' not in html
    assert 'value="MA, SE"' in html  # codes matched to the version's, whatever the case
    assert not Rollout.objects.exists()


def test_planner_check__plan_leaving_a_gap__findings_of_that_phase_and_create_disabled(
        who: People) -> None:
    # Given the original live everywhere and a version moving zone 282 from SE to MA
    make_live(original_version())
    moved = moved_282_version()

    # When SE (which gives 282 up) is planned before MA (which takes it)
    response = client_as(who.editor).post(URL, plan_post(moved, "SE", "MA"))

    # Then the coverage gap after phase 1 is shown, Create stays disabled, nothing is created
    html = assert_page_ok(response)
    assert "The plan check failed" in html
    assert "E120" in html and "zone 282" in html
    assert "after phase 1: " not in html  # said once, by its group's heading
    assert 'name="checked_digest" value="' not in html
    assert 'id="create-button" disabled' in html
    assert not Rollout.objects.exists()


@pytest.mark.parametrize(("phases", "message"), [
    (("NE", "NE"), "region NE is in two phases"),
    (("XX",), "has no region &#x27;XX&#x27;"),
    ((), "a rollout needs at least one phase"),
])
def test_planner_check__invalid_plan__refused_with_the_reason(
        who: People, phases: tuple[str, ...], message: str) -> None:
    version = original_version()

    html = assert_page_ok(client_as(who.editor).post(URL, plan_post(version, *phases)))

    assert "The plan check failed" in html and message in html
    assert not Rollout.objects.exists()


def test_planner_check__gate_without_a_limit__field_error(who: People) -> None:
    version = original_version()

    response = client_as(who.editor).post(URL, plan_post(version, "NE",
                                                         gates=(("trucks", ""),)))

    assert response.status_code == 422
    assert "Say how much this KPI may regress." in response.content.decode()


def test_grouped__phase_labels__prefix_dropped_inside_its_group_kept_in_other() -> None:
    findings = [Finding("E120", "after phase 1: zone 282 is served by no region"),
                Finding("W300", "before the rollout (what a rollback restores): zone 9 slow"),
                Finding("E999", "after phase 7: outside the plan")]

    groups = {g.title: g for g in planner.grouped(findings, 2)}

    assert [f.message for f in groups["After phase 1"].findings] == [
        "zone 282 is served by no region"]
    assert [f.message for f in groups["Before the rollout (what a rollback restores)"].findings
            ] == ["zone 9 slow"]
    assert [f.message for f in groups["Other"].findings] == ["after phase 7: outside the plan"]
    assert findings[0].message.startswith("after phase 1: ")  # the service's finding untouched


def test_planner_check__phase_removed__page_shows_exactly_the_posted_phases(
        who: People) -> None:
    # Given a two-phase plan posted after phase 3 was removed, bake times typed as whole numbers
    version = original_version()

    # When the editor checks it
    html = assert_page_ok(client_as(who.editor).post(URL, plan_post(
        version, "NE", "MA", bake="1", gates=(("in_region_pct", "2"),))))

    # Then the page has those two phases and no padding phase, bakes as typed, one gate row
    assert "The plan check passed" in html
    assert 'name="phase-TOTAL_FORMS" value="2"' in html
    assert 'name="phase-2-regions"' not in html
    assert 'name="phase-0-bake_minutes" value="1"' in html
    assert 'name="phase-1-bake_minutes" value="1"' in html
    assert 'name="gate-TOTAL_FORMS" value="1"' in html
    assert 'name="gate-0-max_regression_pct" value="2"' in html
    assert "1.0" not in html.split('id="phases"', 1)[1].split("</ol>", 1)[0]


def test_planner_check__an_empty_phase_posted__left_out_with_a_note(who: People) -> None:
    # Given three phases, the middle one without regions
    version = original_version()

    # When the editor checks it
    html = assert_page_ok(client_as(who.editor).post(URL, plan_post(version, "NE", " ", "MA")))

    # Then the plan has two phases, MA now phase 2, and the page says why
    assert 'name="phase-TOTAL_FORMS" value="2"' in html
    assert re.search(r'name="phase-1-regions" value="MA"', html)
    assert "Phase 2 had no regions and was left out of the plan" in html


def test_planner_check__what_changes__listed_by_phase_in_plan_order(who: People) -> None:
    # Given a plan with SE first, then MA and NE
    version = original_version()

    # When it is checked
    html = assert_page_ok(client_as(who.editor).post(URL, plan_post(version, "SE", "MA, NE")))

    # Then "What this plan changes" names each phase and keeps the plan's order
    changes = html.split("What this plan changes", 1)[1].split("</ol>", 1)[0]
    assert changes.index("Phase 1") < changes.index(">SE<") < changes.index("Phase 2")
    assert changes.index("Phase 2") < changes.index(">MA<") < changes.index(">NE<")


@pytest.mark.parametrize("typed", ["2030-01-02 14:30", "2030-01-02T14:30"])
def test_planner_check__earliest_start_24_hour_text__read_in_utc_and_shown_back(
        who: People, typed: str) -> None:
    version = original_version()

    html = assert_page_ok(client_as(who.editor).post(URL, plan_post(version, "NE",
                                                                     start_after=typed)))

    assert "The plan check passed" in html
    assert 'value="2030-01-02 14:30"' in html


@pytest.mark.parametrize("typed", ["01/02/2030 2:30 PM", "2030-01-02 25:00", "tomorrow"])
def test_planner_check__earliest_start_not_in_the_format__field_error_saying_the_format(
        who: People, typed: str) -> None:
    version = original_version()

    response = client_as(who.editor).post(URL, plan_post(version, "NE", start_after=typed))

    assert response.status_code == 422
    html = response.content.decode()
    assert "Type the time as YYYY-MM-DD HH:MM (24-hour, UTC), e.g. 2030-01-02 14:30." in html
    assert not Rollout.objects.exists()


def test_planner_create__checked_plan__draft_rollout_page(who: People) -> None:
    # Given a plan that passed its check
    version = original_version()
    client = client_as(who.editor)
    plan = plan_post(version, "NE", "MA, SE", gates=(("in_region_pct", "2"),),
                     on_gate_failure="pause", start_after="2030-01-02T03:04")
    digest = checked_digest(client.post(URL, plan).content.decode())

    # When the editor creates it
    response = client.post(URL, {**plan, "action": "create", "checked_digest": digest},
                           follow=True)

    # Then it is a draft with that plan (the earliest start read in the server's time zone,
    # UTC), and the editor lands on its page
    rollout = Rollout.objects.get()
    assert response.redirect_chain[-1][0] == f"/rollouts/{rollout.id}/"
    html = assert_page_ok(response)
    assert f"Rollout {rollout.id} created as a draft" in html
    assert rollout.state == "draft" and rollout.created_by == who.editor
    assert rollout.on_gate_failure == "pause"
    phases = list(rollout.phases.order_by("index"))
    assert [p.regions for p in phases] == [["NE"], ["MA", "SE"]]
    assert phases[0].start_after == datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    assert [(g.kpi, g.max_regression_pct) for g in rollout.gates.all()] == [("in_region_pct", 2)]


@pytest.mark.parametrize("case", ["never checked", "changed since"])
def test_planner_create__plan_not_the_checked_one__refused_nothing_created(
        who: People, case: str) -> None:
    version = original_version()
    client = client_as(who.editor)
    digest = ""
    if case == "changed since":
        digest = checked_digest(client.post(URL, plan_post(version, "NE")).content.decode())

    response = client.post(URL, plan_post(version, "NE", "MA", action="create",
                                          checked=digest))

    assert response.status_code == 409
    assert "check it again" in response.content.decode()
    assert not Rollout.objects.exists()


def test_planner_create__live_network_changed_after_the_check__findings_nothing_created(
        who: People) -> None:
    # Given a plan checked while nothing was live (so SE first is fine)...
    moved = moved_282_version()
    client = client_as(who.editor)
    plan = plan_post(moved, "SE", "MA")
    digest = checked_digest(client.post(URL, plan).content.decode())
    # ... and then the original went live everywhere
    make_live(original_version())

    # When the editor creates it
    response = client.post(URL, {**plan, "action": "create", "checked_digest": digest})

    # Then the service's own check refuses it and the page shows why
    assert response.status_code == 422
    html = response.content.decode()
    assert "The rollout was not created" in html and "E120" in html
    assert not Rollout.objects.exists()


def test_planner_post__without_csrf_token__refused() -> None:
    from tests.rollout_factories import people

    who = people()
    version = original_version()
    client = Client(enforce_csrf_checks=True)
    client.force_login(who.editor)

    response = client.post(URL, plan_post(version, "NE"))

    assert response.status_code == 403
