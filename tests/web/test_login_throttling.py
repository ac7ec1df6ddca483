"""Login throttling (django-axes): wrong passwords lock a user name, or an address, out for a
cool-off; every failure and every lockout is in the audit log; API tokens are not affected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings

from rollout.models import AuditEvent
from rollout.services.roles import Role, role_grant
from rollout.services.tokens import token_create
from rollout.web.login_throttle import client_ip
from tests.factories import user_factory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LIMIT = 5


@pytest.fixture(autouse=True)
def _limit(settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    # dozens of logins per test: a fast hash (the throttle, not the hash, is under test)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def user(name: str = "pat") -> Any:
    account = user_factory(name)
    account.set_password(PASSWORD)
    account.save()
    return account


def log_in(username: str, password: str, *, address: str = "192.0.2.10") -> Any:
    return Client(REMOTE_ADDR=address).post("/accounts/login/",
                                            {"username": username, "password": password})


def logged_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def cool_off_passes() -> None:
    """Move every counted failure 16 minutes back, as the clock would."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))


def test_login__limit_of_wrong_passwords__user_locked_out_and_audited() -> None:
    # Given a user
    user("pat")

    # When someone tries LIMIT wrong passwords
    answers = [log_in("pat", f"guess {n}").status_code for n in range(LIMIT)]

    # Then the first ones are the form again, the last one is the lockout page (429)
    assert answers == [200] * (LIMIT - 1) + [429]
    # and each failure and the lockout are in the audit log, with the address
    failed = AuditEvent.objects.filter(action="login.failed").order_by("id")
    assert [(e.object_type, e.object_id, e.actor) for e in failed] == (
        [("user", "pat", None)] * LIMIT)
    assert [e.details["failures"] for e in failed] == list(range(1, LIMIT + 1))
    assert {e.details["ip"] for e in failed} == {"192.0.2.10"}
    [locked] = AuditEvent.objects.filter(action="login.locked_out")
    assert (locked.object_id, locked.details["limit"], locked.details["cool_off_minutes"]) == (
        "pat", LIMIT, 15)


def test_login__locked_out__right_password_refused_with_the_lockout_page() -> None:
    # Given a user locked out by wrong passwords
    user("pat")
    for n in range(LIMIT):
        log_in("pat", f"guess {n}")

    # When the right password comes during the cool-off
    response = log_in("pat", PASSWORD)

    # Then it is refused with a page that says why and for how long, and it is audited
    assert response.status_code == 429
    assert not logged_in(response)
    page = response.content.decode()
    assert "Too many failed logins" in page and "15 minutes" in page
    refused = AuditEvent.objects.filter(action="login.failed").order_by("-id").first()
    assert refused is not None and refused.details["locked_out"] is True
    assert AuditEvent.objects.filter(action="login.locked_out").count() == 1  # not one per try


def test_login__after_the_cool_off__right_password_logs_in() -> None:
    # Given a user locked out
    user("pat")
    for n in range(LIMIT):
        log_in("pat", f"guess {n}")

    # When the cool-off has passed
    cool_off_passes()
    response = log_in("pat", PASSWORD)

    # Then the right password works again
    assert logged_in(response)


def test_login__below_the_limit_then_success__count_starts_again() -> None:
    user("pat")
    for n in range(LIMIT - 1):
        log_in("pat", f"guess {n}")
    assert logged_in(log_in("pat", PASSWORD))

    answers = [log_in("pat", f"again {n}").status_code for n in range(LIMIT - 1)]

    assert answers == [200] * (LIMIT - 1)


def test_login__one_user_from_many_addresses__user_locked_out_everywhere() -> None:
    # Given wrong passwords for one user, each from another address
    user("pat")
    for n in range(LIMIT):
        log_in("pat", "guess", address=f"198.51.100.{n + 1}")

    # When the right password comes from yet another address
    response = log_in("pat", PASSWORD, address="203.0.113.99")

    # Then the user name is locked out
    assert response.status_code == 429


def test_login__many_users_from_one_address__address_locked_out() -> None:
    # Given wrong passwords from one address, each for another user name
    user("pat")
    for n in range(LIMIT):
        log_in(f"someone{n}", "guess", address="198.51.100.7")

    # When a real user logs in from that address, and from another one
    from_there = log_in("pat", PASSWORD, address="198.51.100.7")
    from_elsewhere = log_in("pat", PASSWORD, address="203.0.113.5")

    # Then the address is locked out, the user is not
    assert from_there.status_code == 429
    assert logged_in(from_elsewhere)


def test_admin_login__wrong_passwords__throttled_too() -> None:
    user_factory("root", is_staff=True, is_superuser=True)

    answers = [Client(REMOTE_ADDR="192.0.2.1").post(
        "/admin/login/", {"username": "root", "password": f"guess {n}"}).status_code
        for n in range(LIMIT)]

    assert answers[-1] == 429


def test_login__absurd_user_name__a_failed_login_counted_and_audited_cut_to_fit() -> None:
    # When the user name typed is longer than any user name (or axes' column) can be
    response = log_in("x" * 300, "guess")

    # Then it is a failed login like any other, not a database error
    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "x" * 150
    [event] = AuditEvent.objects.filter(action="login.failed")
    assert event.object_id == "x" * 64


def test_login__user_name_with_a_nul__refused_without_a_500() -> None:
    response = log_in("pat\x00", "guess")

    assert response.status_code in (200, 400)


def test_api_token__its_user_locked_out__token_still_works() -> None:
    # Given an operator whose browser login is locked out
    operator = user("otto")
    role_grant(user=operator, role=Role.OPERATOR)
    _, token = token_create(user=operator, role=Role.OPERATOR, name="ci")
    for n in range(LIMIT):
        log_in("otto", f"guess {n}")
    assert log_in("otto", PASSWORD).status_code == 429

    # When a script uses the operator's token
    response = Client().get("/api/v1/rollouts", headers={"Authorization": f"Bearer {token}"})

    # Then it is answered: tokens are not passwords, and not throttled here
    assert response.status_code == 200


# --- which address a request comes from ---------------------------------------------------


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "", "10.0.0.2"),
    (0, "203.0.113.7", "10.0.0.2"),  # no proxy: a client's header proves nothing
    (1, "203.0.113.7", "203.0.113.7"),
    (1, "1.2.3.4, 203.0.113.7", "203.0.113.7"),  # the client wrote 1.2.3.4 itself
    (2, "1.2.3.4, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
    (2, "203.0.113.7", "10.0.0.2"),  # fewer entries than proxies: not what the proxies write
    (1, "not-an-address", "10.0.0.2"),
    (1, "", "10.0.0.2"),
])
def test_client_ip__proxies_and_forwarded_for__the_address_the_nearest_proxy_saw(
        settings: Settings, proxies: int, forwarded: str, expected: str) -> None:
    settings.RRM_PROXY_COUNT = proxies
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.2",
                                    HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
