from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db

User = get_user_model()
CREATED = re.compile(
    r"^Created admin login: (?P<username>\S+) / (?P<password>\S+) \(shown once; "
    r"change it with manage\.py changepassword (?P=username)\)$"
)


@pytest.fixture(autouse=True)
def _no_password_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RRM_ADMIN_PASSWORD", raising=False)


def run_ensure_admin(*args: str) -> str:
    out = StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue().strip()


def test_ensure_admin__no_superuser__creates_one_and_prints_password() -> None:
    # Given an empty user table
    # When
    output = run_ensure_admin()

    # Then one superuser "admin" exists and the printed password logs it in
    match = CREATED.match(output)
    assert match is not None, output
    assert match["username"] == "admin"
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(match["password"])
    assert len(match["password"]) >= 16


def test_ensure_admin__superuser_exists__creates_nothing_and_prints_no_password() -> None:
    # Given
    User.objects.create_superuser(username="alice", email="", password="s3cret-s3cret")

    # When
    output = run_ensure_admin()

    # Then
    assert output == "An admin login exists (alice); no user created."
    assert "s3cret" not in output
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_ensure_admin__run_twice__second_run_prints_no_password() -> None:
    # Given
    first = CREATED.match(run_ensure_admin())
    assert first is not None
    password = first["password"]

    # When
    second = run_ensure_admin()

    # Then
    assert password not in second
    assert second.startswith("An admin login exists (admin)")
    assert User.objects.count() == 1


def test_ensure_admin__two_fresh_databases__passwords_differ() -> None:
    # Given a first admin, removed again
    first = CREATED.match(run_ensure_admin())
    User.objects.all().delete()

    # When
    second = CREATED.match(run_ensure_admin())

    # Then
    assert first is not None and second is not None
    assert first["password"] != second["password"]


def test_ensure_admin__password_option__uses_it_and_does_not_print_it() -> None:
    # When
    output = run_ensure_admin("--password", "given-password-123")

    # Then
    assert output == "Created admin login: admin (with the password given)"
    assert User.objects.get(username="admin").check_password("given-password-123")


def test_ensure_admin__password_in_env__uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given
    monkeypatch.setenv("RRM_ADMIN_PASSWORD", "from-the-env-456")

    # When
    output = run_ensure_admin()

    # Then
    assert "from-the-env-456" not in output
    assert User.objects.get(username="admin").check_password("from-the-env-456")


def test_ensure_admin__option_and_env__option_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given
    monkeypatch.setenv("RRM_ADMIN_PASSWORD", "from-the-env-456")

    # When
    run_ensure_admin("--password", "from-the-option-789")

    # Then
    admin = User.objects.get(username="admin")
    assert admin.check_password("from-the-option-789")
    assert not admin.check_password("from-the-env-456")


def test_ensure_admin__username_option__creates_that_user() -> None:
    # When
    output = run_ensure_admin("--username", "ops")

    # Then
    match = CREATED.match(output)
    assert match is not None, output
    assert match["username"] == "ops"
    assert User.objects.get(username="ops").is_superuser
    assert not User.objects.filter(username="admin").exists()


def test_ensure_admin__plain_user_has_the_name__refuses_to_promote_it() -> None:
    # Given
    User.objects.create_user(username="admin", password="plain-user-pass")

    # When / Then
    with pytest.raises(CommandError, match="exists but is not a superuser"):
        run_ensure_admin()
    admin = User.objects.get(username="admin")
    assert not admin.is_superuser
    assert admin.check_password("plain-user-pass")
