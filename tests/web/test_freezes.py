"""The change-freeze page: every role sees the windows; approvers create, end and cancel them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rollout.models import AuditEvent, FreezeWindow
from rollout.services.freezes import freeze_create
from tests.rollout_factories import People, make_live, original_version, rollout_factory
from tests.web.helpers import (
    assert_forbidden,
    assert_login_redirect,
    assert_page_ok,
    client_as,
    role_clients,
)

pytestmark = pytest.mark.django_db

PAGE, CREATE, END = "/freezes/", "/freezes/new/", "/freezes/end/"


def shown(when: datetime) -> str:
    return f"{when:%Y-%m-%d %H:%M}"


def a_window(who: People, *, starts_in: timedelta, lasts: timedelta = timedelta(hours=2),
             reason: str = "holiday peak") -> FreezeWindow:
    starts_at = (timezone.now() + starts_in).replace(second=0, microsecond=0)
    return freeze_create(starts_at=starts_at, ends_at=starts_at + lasts, reason=reason,
                         actor=who.approver)


def form_data(starts: str = "2030-12-20 06:00", ends: str = "2030-12-27 18:30",
              reason: str = "holiday peak") -> dict[str, str]:
    return {"starts_at": starts, "ends_at": ends, "reason": reason}


def message_texts(response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]  # a test response


# --- who may see and do what -------------------------------------------------------------------


def test_freezes_page__urls__named_as_documented() -> None:
    assert (reverse("web:freezes"), reverse("web:freeze_create"),
            reverse("web:freeze_end")) == (PAGE, CREATE, END)


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "operator"])
def test_freezes_page__any_role__shows_the_windows(who: People, role: str) -> None:
    a_window(who, starts_in=timedelta(hours=-1), reason="black friday")
    a_window(who, starts_in=timedelta(days=3), reason="year-end close")

    html = assert_page_ok(role_clients(who)[role].get(PAGE))

    assert "black friday" in html and "year-end close" in html
    assert "open now" in html and "upcoming" in html
    assert 'aria-current="page">Freezes</a>' in html
    # only approvers get the create form and the end/cancel buttons
    assert ('action="/freezes/new/"' in html) == (role == "approver")
    assert ('action="/freezes/end/"' in html) == (role == "approver")


def test_freezes_page__no_role_or_anonymous__refused_or_sent_to_login(who: People) -> None:
    clients = role_clients(who)
    assert_forbidden(clients["nobody"].get(PAGE))
    assert_login_redirect(clients["anonymous"].get(PAGE))


@pytest.mark.parametrize("url", [CREATE, END])
@pytest.mark.parametrize("role", ["viewer", "editor", "operator", "nobody"])
def test_freeze_posts__without_approver_role__forbidden_and_nothing_changes(
        who: People, url: str, role: str) -> None:
    window = a_window(who, starts_in=timedelta(hours=-1))

    response = role_clients(who)[role].post(url, {**form_data(), "window": window.id,
                                                  "reason": "x"})

    assert_forbidden(response)
    assert FreezeWindow.objects.get().ends_at == window.ends_at


@pytest.mark.parametrize("url", [CREATE, END])
def test_freeze_posts__anonymous__sent_to_login(who: People, url: str) -> None:
    assert_login_redirect(role_clients(who)["anonymous"].post(url, form_data()))


@pytest.mark.parametrize("url", [CREATE, END])
def test_freeze_posts__get__not_allowed(who: People, url: str) -> None:
    assert client_as(who.approver).get(url).status_code == 405


# --- creating ----------------------------------------------------------------------------------


def test_freeze_create__approver__stored_in_utc_and_shown_here_and_on_the_dashboard(
        who: People) -> None:
    # Given an approver on the freezes page
    client = client_as(who.approver)

    # When they create a window with times typed in UTC
    response = client.post(CREATE, form_data(reason="holiday peak 2030"), follow=True)

    # Then it is stored as typed, audited, and listed here and on the dashboard's freeze card
    html = assert_page_ok(response)
    window = FreezeWindow.objects.get()
    assert window.starts_at == datetime(2030, 12, 20, 6, 0, tzinfo=UTC)
    assert window.ends_at == datetime(2030, 12, 27, 18, 30, tzinfo=UTC)
    assert window.created_by == who.approver
    assert AuditEvent.objects.filter(action="freeze.created", object_id=str(window.id)).exists()
    assert "Freeze created" in html and "2030-12-20 06:00" in html and "2030-12-27 18:30" in html
    dashboard = assert_page_ok(client_as(who.viewer).get("/"))
    assert "holiday peak 2030" in dashboard and "2030-12-20 06:00" in dashboard


@pytest.mark.parametrize(("data", "field", "error"), [
    (form_data(starts="tomorrow"), "starts_at", "YYYY-MM-DD HH:MM"),
    (form_data(starts="2030-13-01 10:00"), "starts_at", "YYYY-MM-DD HH:MM"),
    (form_data(ends="12/27/2030 6:30 PM"), "ends_at", "YYYY-MM-DD HH:MM"),
    (form_data(ends="99999-01-01 00:00"), "ends_at", "YYYY-MM-DD HH:MM"),
    (form_data(starts=""), "starts_at", "required"),
    (form_data(ends="2030-12-19 06:00"), "ends_at", "must end after it starts"),
    (form_data(ends="2030-12-20 06:00"), "ends_at", "must end after it starts"),
    (form_data(reason=""), "reason", "required"),
    (form_data(reason="   "), "reason", "required"),
])
def test_freeze_create__bad_input__form_error_and_nothing_stored(
        who: People, data: dict[str, str], field: str, error: str) -> None:
    response = client_as(who.approver).post(CREATE, data)

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert field in response.context["form"].errors
    assert not FreezeWindow.objects.exists()


def test_freeze_create__typed_values__kept_in_the_form_after_an_error(who: People) -> None:
    html = client_as(who.approver).post(CREATE, form_data(reason="")).content.decode()

    assert 'value="2030-12-20 06:00"' in html and 'value="2030-12-27 18:30"' in html


# --- ending and cancelling ---------------------------------------------------------------------


def test_freeze_end__open_window__ends_now_and_is_listed_as_over(who: People) -> None:
    window = a_window(who, starts_in=timedelta(hours=-1), reason="black friday")

    response = client_as(who.approver).post(END, {"window": window.id, "reason": "peak over"},
                                            follow=True)

    html = assert_page_ok(response)
    window.refresh_from_db()
    assert window.ends_at <= timezone.now()
    assert f"Freeze window {window.id} ended now" in html
    assert "No freeze window is open" in html and "black friday" in html  # now under Recent
    assert AuditEvent.objects.get(action="freeze.ended").reason == "peak over"


def test_freeze_end__upcoming_window__cancelled_and_listed_from_the_audit_log(
        who: People) -> None:
    window = a_window(who, starts_in=timedelta(days=2), reason="year-end close")

    response = client_as(who.approver).post(END, {"window": window.id, "reason": "moved"},
                                            follow=True)

    html = assert_page_ok(response)
    assert not FreezeWindow.objects.exists()
    assert f"Freeze window {window.id} cancelled" in html
    assert "cancelled" in html and "year-end close" in html and shown(window.starts_at) in html


@pytest.mark.parametrize(("data", "message"), [
    ({"window": "", "reason": "x"}, "Pick the freeze window to end."),
    ({"window": "abc", "reason": "x"}, "Pick the freeze window to end."),
    ({"window": "999", "reason": "x"}, "There is no freeze window 999."),
    ({"reason": "x"}, "Pick the freeze window to end."),
    ({"window": "99999999999999999999999", "reason": "x"}, "Pick the freeze window to end."),
    ({"window": "-1", "reason": "x"}, "Pick the freeze window to end."),
])
def test_freeze_end__bad_window__message_not_500(who: People, data: dict[str, str],
                                                 message: str) -> None:
    response = client_as(who.approver).post(END, data)

    assert response.status_code == 302 and response["Location"] == PAGE
    assert message_texts(response) == [message]


def test_freeze_end__without_reason__refused_with_a_message(who: People) -> None:
    window = a_window(who, starts_in=timedelta(hours=-1))

    response = client_as(who.approver).post(END, {"window": window.id, "reason": "  "})

    assert response.status_code == 302
    assert message_texts(response) == ["Ending a change freeze needs a written reason."]
    window.refresh_from_db()
    assert window.ends_at > timezone.now()


def test_freeze_end__window_already_over__refused_with_a_message(who: People) -> None:
    window = a_window(who, starts_in=timedelta(hours=-3), lasts=timedelta(hours=1))

    response = client_as(who.approver).post(END, {"window": window.id, "reason": "x"},
                                            follow=True)

    html = assert_page_ok(response)
    assert "there is nothing to end" in html
    assert not AuditEvent.objects.filter(action="freeze.ended").exists()


def test_freezes_page__open_window_holding_a_rollout__names_it(who: People) -> None:
    # Given a running rollout whose first phase is due, inside an open freeze
    make_live(original_version())
    rollout = rollout_factory(original_version(), ["NE"], ["MA", "SE"], who=who,
                              state="running")
    a_window(who, starts_in=timedelta(hours=-1))

    html = assert_page_ok(client_as(who.viewer).get(PAGE))

    assert f'href="/rollouts/{rollout.id}/">rollout #{rollout.id}</a>' in html


# --- CSRF --------------------------------------------------------------------------------------


def csrf_client(who: People) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(who.approver)
    html = client.get(PAGE).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None
    return client, match.group(1)


@pytest.mark.parametrize("url", [CREATE, END])
def test_freeze_posts__without_csrf_token__refused(who: People, url: str) -> None:
    window = a_window(who, starts_in=timedelta(hours=-1))
    client, _ = csrf_client(who)

    response = client.post(url, {**form_data(), "window": window.id})

    assert response.status_code == 403
    assert FreezeWindow.objects.count() == 1
    window.refresh_from_db()
    assert window.ends_at > timezone.now()


def test_freeze_posts__with_the_pages_csrf_token__accepted(who: People) -> None:
    client, token = csrf_client(who)

    created = client.post(CREATE, {**form_data(), "csrfmiddlewaretoken": token})
    window = FreezeWindow.objects.get()
    cancelled = client.post(END, {"window": window.id, "reason": "moved",
                                  "csrfmiddlewaretoken": token})

    assert (created.status_code, cancelled.status_code) == (302, 302)
    assert not FreezeWindow.objects.exists()
