"""The region page (history, KPIs before/after, map) and the per-region rollback form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from rollout.models import Activation, AuditEvent
from rollout.services.engine import rollout_advance
from rollout.services.rollbacks import rollout_rollback
from tests.rollout_factories import (
    live_versions,
    make_live,
    moved_282_version,
    original_version,
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


@pytest.fixture
def mixed(db: None) -> tuple[Any, Any]:
    """The original live everywhere, then MA and SE on the version moving zone 282 to MA."""
    original, moved = original_version(), moved_282_version()
    make_live(original)
    make_live(moved, ["MA", "SE"])
    return original, moved


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "operator"])
def test_region_page__any_role__allowed(who: Any, mixed: Any, role: str) -> None:
    assert_page_ok(role_clients(who)[role].get("/regions/MA/"))


def test_region_page__user_without_role__forbidden(who: Any, mixed: Any) -> None:
    assert_forbidden(role_clients(who)["nobody"].get("/regions/MA/"))


def test_region_page__anonymous__redirected_to_login(mixed: Any) -> None:
    assert_login_redirect(Client().get("/regions/MA/"))


def test_region_page__unknown_region__404(who: Any, mixed: Any) -> None:
    assert client_as(who.viewer).get("/regions/XX/").status_code == 404


def test_region_page__history__every_activation_newest_first(who: Any, mixed: Any) -> None:
    # Given MA on the original, then on the moved version
    original, moved = mixed

    # When
    html = assert_page_ok(client_as(who.viewer).get("/regions/MA/"))

    # Then both activations are listed, newest first, with version links and reasons
    history = html[html.index('id="hist-h"'):]
    assert history.index(moved.id) < history.index(original.id)
    assert f'href="/versions/{moved.id}/"' in history
    assert history.count("Reason: test setup") == 2
    assert '<span class="badge ok">current</span>' in history


def test_region_page__rollout_phase__before_after_charts_and_rollout_link(who: Any) -> None:
    # Given a rollout whose first phase (MA, SE) went live, with its before/after snapshots
    make_live(original_version())
    rollout = rollout_factory(moved_282_version(), ["MA", "SE"], ["NE"], who=who,
                              state="running")
    rollout_advance(rollout_id=rollout.id)

    # When
    html = assert_page_ok(client_as(who.viewer).get("/regions/MA/"))

    # Then the phase's activation links to its rollout and shows before/after charts and deltas
    assert f'href="/rollouts/{rollout.id}/"' in html and "phase 1" in html
    assert '<figure class="chart">' in html and "before" in html and "after" in html
    assert re.search(r'class="delta (better|worse|same|changed)">[▲▼=] [+−]', html)


def test_region_page__operator__sees_rollback_form_naming_the_change(who: Any,
                                                                    mixed: Any) -> None:
    # Given MA on the moved version, earlier on the original
    original, moved = mixed

    # When an operator opens the page
    html = assert_page_ok(client_as(who.operator).get("/regions/MA/"))

    # Then the form offers the original and "not live", none chosen in advance (the operator
    # must pick), each with its id and message, and each choice's confirmation names the change
    form = re.search(r'<form method="post" action="/regions/MA/rollback/".*?</form>', html, re.S)
    assert form, html
    text = form.group(0)
    assert 'name="csrfmiddlewaretoken"' in text
    assert re.search(rf'<input type="radio" name="version" value="{original.id}" '
                     rf'data-confirm="Roll back region MA: from {moved.id} to version '
                     rf'{original.id}\?" required>', text)
    assert '<input type="radio" name="version" value="none"' in text
    assert f'value="{moved.id}"' not in text  # the current version is no choice
    assert " checked" not in text and " selected" not in text
    assert original.message.splitlines()[0] in text


def test_region_page__after_rollout_rollback__nothing_preselected_removed_version_dated(
        who: Any) -> None:
    # Given MA on the original, moved to the new version by a rollout, then rolled back
    original, moved = original_version(), moved_282_version()
    make_live(original)
    rollout = rollout_factory(moved, ["MA", "SE"], ["NE"], who=who, state="running")
    rollout_advance(rollout_id=rollout.id)
    rollout_rollback(rollout_id=rollout.id, actor=who.operator, reason="late")

    # When an operator opens MA's page
    html = assert_page_ok(client_as(who.operator).get("/regions/MA/"))

    # Then the version just removed is offered but not chosen, with when it stopped being live,
    # and the version live now is not offered at all
    form = re.search(r'<form method="post" action="/regions/MA/rollback/".*?</form>', html, re.S)
    assert form
    text = form.group(0)
    assert f'value="{moved.id}"' in text and f'value="{original.id}"' not in text
    assert " checked" not in text
    assert "live here until" in text
    assert 'data-confirm=""' in text  # no question until a choice is made


def test_region_page__since_line__said_as_people_say_it(who: Any) -> None:
    # Given MA moved by a rollout's phase, then rolled back with the rollout by the operator
    make_live(original_version())
    rollout = rollout_factory(moved_282_version(), ["MA", "SE"], ["NE"], who=who,
                              state="running")
    rollout_advance(rollout_id=rollout.id)
    rollout_rollback(rollout_id=rollout.id, actor=who.operator, reason="late")

    # When
    html = assert_page_ok(client_as(who.viewer).get("/regions/MA/"))

    # Then
    now = re.search(r'<h2 id="now-h">.*?</section>', html, re.S)
    assert now
    text = re.sub(r"<[^>]+>", "", now.group(0))
    assert re.search(rf"since [\d:-]+ — rolled back with rollout #{rollout.id} by "
                     rf"{who.operator.username} · \d+ zones live", text), text
    assert "rollback of a rollout by" not in html


def test_region_page__zones_live_elsewhere__labelled_live_there_never_not_live(
        who: Any) -> None:
    # Given the original live everywhere; an approved rollout of a version moving 282 from SE
    # to MA
    make_live(original_version())
    rollout_factory(moved_282_version(), ["MA", "SE"], who=who, state="approved")

    # When
    html = assert_page_ok(client_as(who.viewer).get("/regions/MA/"))

    # Then 282 is drawn as live in SE, in SE's colour, and the legend says "live in SE"
    zones = html[html.index('id="regionmap"'):]
    circle = re.search(r'<circle [^>]*data-zone="282"[^>]*>', zones)
    assert circle and 'data-region="SE"' in circle.group(0)
    legend = re.search(r'<ul class="legend".*?</ul>', zones, re.S)
    assert legend
    assert "<strong>live in SE</strong>" in legend.group(0)
    assert "not live" not in legend.group(0)
    assert "zone 282: not live" not in html


def test_region_page__viewer__no_rollback_form(who: Any, mixed: Any) -> None:
    html = assert_page_ok(client_as(who.viewer).get("/regions/MA/"))
    assert "/regions/MA/rollback/" not in html
    assert "needs the operator role" in html


def test_region_rollback__operator__region_restored_and_audited(who: Any, mixed: Any) -> None:
    # Given NE on the original only; SE and MA on the moved version (the `mixed` fixture)
    # When the operator takes NE (untouched by the move) out of service
    response = client_as(who.operator).post(
        "/regions/NE/rollback/", {"version": "none", "reason": "NE misroutes"}, follow=True)

    # Then NE is not live, the page says so, and the audit log has the reason
    html = assert_page_ok(response)
    assert live_versions()["NE"] is None
    assert "Region NE rolled back to not live" in html
    event = AuditEvent.objects.get(action="region.rolled_back", object_id="NE")
    assert event.reason == "NE misroutes" and event.actor == who.operator


def test_region_rollback__to_earlier_version__activation_restores_it(who: Any) -> None:
    # Given NE on the original, then on the moved version (NE's own zones do not move)
    original, moved = original_version(), moved_282_version()
    make_live(original)
    make_live(moved)

    # When
    response = client_as(who.operator).post(
        "/regions/NE/rollback/", {"version": original.id, "reason": "back to the original"})

    # Then
    assert response.status_code == 302 and response["Location"] == "/regions/NE/"
    latest = Activation.objects.filter(region="NE").order_by("-id").first()
    assert latest is not None
    assert (latest.version_id, latest.kind) == (original.id, Activation.Kind.REGION_ROLLBACK)


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "nobody"])
def test_region_rollback__not_operator__forbidden_nothing_changes(who: Any, mixed: Any,
                                                                  role: str) -> None:
    before = Activation.objects.count()
    response = role_clients(who)[role].post("/regions/NE/rollback/",
                                            {"version": "none", "reason": "why not"})
    assert_forbidden(response)
    assert Activation.objects.count() == before


def test_region_rollback__anonymous__redirected_to_login(mixed: Any) -> None:
    assert_login_redirect(Client().post("/regions/NE/rollback/", {"version": "none"}))


def test_region_rollback__would_leave_a_gap__refused_with_findings(who: Any,
                                                                  mixed: Any) -> None:
    # Given MA and SE on the moved version (282 is MA's)
    original, _ = mixed

    # When MA alone goes back to the original, where 282 is SE's, but SE's version gave it up
    response = client_as(who.operator).post(
        "/regions/MA/rollback/", {"version": original.id, "reason": "try it"})

    # Then it is refused with the gap named, and nothing changed
    assert response.status_code == 409
    html = response.content.decode()
    assert "Rollback refused" in html
    assert "<code>E120</code> zone 282" in html
    assert Activation.objects.filter(kind=Activation.Kind.REGION_ROLLBACK).count() == 0
    assert "try it" in html  # the reason typed is kept


def test_region_rollback__no_reason__form_error_nothing_changes(who: Any, mixed: Any) -> None:
    response = client_as(who.operator).post("/regions/NE/rollback/",
                                            {"version": "none", "reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert Activation.objects.filter(kind=Activation.Kind.REGION_ROLLBACK).count() == 0


def test_region_rollback__version_never_on_region__form_error(who: Any) -> None:
    # Given NE only ever on the original; the moved version exists but never went live in NE
    make_live(original_version())
    moved = moved_282_version()

    response = client_as(who.operator).post("/regions/NE/rollback/",
                                            {"version": moved.id, "reason": "x"})
    assert response.status_code == 400
    assert Activation.objects.filter(kind=Activation.Kind.REGION_ROLLBACK).count() == 0


def test_region_rollback__without_csrf_token__refused(who: Any, mixed: Any) -> None:
    # Given a browser-like client that enforces CSRF
    client = Client(enforce_csrf_checks=True)
    client.force_login(who.operator)

    # When it posts without the token
    response = client.post("/regions/NE/rollback/", {"version": "none", "reason": "csrf"})

    # Then
    assert response.status_code == 403
    assert live_versions()["NE"] is not None


def test_region_rollback__get__not_allowed(who: Any, mixed: Any) -> None:
    assert client_as(who.operator).get("/regions/NE/rollback/").status_code == 405


def test_region_page__never_live__says_so_without_a_form(who: Any) -> None:
    # Given a stored version that nothing has activated
    original_version()

    # When an operator opens one of its regions
    html = assert_page_ok(client_as(who.operator).get("/regions/SE/"))

    # Then
    assert "This region has never been live" in html and "No activation yet" in html
    assert "/regions/SE/rollback/" not in html


def test_region_rollback__region_changed_since_the_page_was_loaded__refused(who: Any) -> None:
    # Given an operator looking at NE while it is on the original version
    original, moved = original_version(), moved_282_version()
    make_live(original)
    html = assert_page_ok(client_as(who.operator).get("/regions/NE/"))
    seen = re.search(r'name="seen" value="(\d+)"', html)
    assert seen
    # And NE moves on to another version before they confirm
    make_live(moved)

    # When they confirm the rollback they were shown
    response = client_as(who.operator).post(
        "/regions/NE/rollback/", {"version": "none", "reason": "r", "seen": seen.group(1)})

    # Then it is refused, saying what is live now, and nothing changed
    assert response.status_code == 409
    assert "changed since this page was loaded" in response.content.decode()
    assert live_versions()["NE"] == moved.id
