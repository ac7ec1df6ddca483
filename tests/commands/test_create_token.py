"""`manage.py create_token USERNAME [--role ROLE]` (DESIGN section 9): creates the user if
needed, prints the token alone on its last line, and the token works on the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from rollout.models import ApiToken
from rollout.services.roles import Role, user_roles
from rollout.services.tokens import tokens_forget
from tests.factories import east_coast_files, user_factory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_cached_tokens() -> Iterator[None]:
    tokens_forget()
    yield
    tokens_forget()


def create_token(*args: str) -> tuple[str, str]:
    """(stdout, stderr) of a create_token that succeeds."""
    out, err = StringIO(), StringIO()
    call_command("create_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def api_get(token: str, path: str) -> int:
    return Client().get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"}
                        ).status_code


def test_create_token__new_user__user_created_token_alone_on_the_last_line(db: None) -> None:
    # Given no user "ci-bot"
    assert not User.objects.filter(username="ci-bot").exists()

    # When a token is created for it
    out, err = create_token("ci-bot")

    # Then the user exists, with the default viewer role, and stdout's last line is the token
    user = User.objects.get(username="ci-bot")
    token = last_line(out)
    assert token.startswith("rrm_") and " " not in token
    assert out.strip() == token
    assert user_roles(user=user) == {Role.VIEWER}
    assert not user.check_password("")  # no password: it cannot log in
    assert "ci-bot" in err and "viewer" in err and "shown once" in err


def test_create_token__token__stored_only_as_a_hash(db: None) -> None:
    out, _ = create_token("ci-bot")
    token = last_line(out)

    row = ApiToken.objects.get()
    assert token not in {row.hashed, row.prefix, row.name}
    assert token.split("_")[1] == row.prefix and len(row.hashed) == 64


def test_create_token__token__works_on_the_api_for_reading(db: None) -> None:
    token = last_line(create_token("ci-bot")[0])

    assert api_get(token, "/versions") == 200
    assert api_get("rrm_" + token[4:-1] + "x", "/versions") == 401


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_create_token__role_option__token_and_user_get_that_role(db: None, role: str) -> None:
    out, _ = create_token("ci-bot", "--role", role)

    row = ApiToken.objects.get()
    assert row.role == role
    assert Role(role) in user_roles(user=User.objects.get(username="ci-bot"))
    assert last_line(out).startswith("rrm_")


def test_create_token__editor_role__token_may_post_a_version(db: None) -> None:
    # Given an editor token from the command
    token = last_line(create_token("ci-bot", "--role", "editor")[0])
    files = {name: raw.decode() for name, raw in east_coast_files().items()}

    # When a CI pipeline posts a version with it
    response = Client().post("/api/v1/versions", json.dumps({"files": files, "message": "ci"}),
                             content_type="application/json",
                             headers={"Authorization": f"Bearer {token}"})

    # Then the version is stored, authored by the token's user
    assert response.status_code == 201 and response.json()["author"] == "ci-bot"


def test_create_token__existing_user__no_new_user_and_a_second_distinct_token(db: None) -> None:
    # Given an existing user with a token
    user_factory("ci-bot", email="ci@example.com")
    first = last_line(create_token("ci-bot")[0])

    # When another token is created for the same user
    second = last_line(create_token("ci-bot", "--role", "operator")[0])

    # Then the user is reused and both tokens work
    assert User.objects.filter(username="ci-bot").count() == 1
    assert User.objects.get(username="ci-bot").email == "ci@example.com"
    assert first != second and ApiToken.objects.count() == 2
    assert api_get(first, "/versions") == api_get(second, "/versions") == 200


def test_create_token__expires_in_days__expiry_stored_and_printed(db: None) -> None:
    out, err = create_token("ci-bot", "--expires-in-days", "7", "--name", "nightly")

    row = ApiToken.objects.get()
    assert row.expires_at is not None and row.name == "nightly"
    assert "expires" in err and last_line(out).startswith("rrm_")


def test_create_token__expiry_not_positive__exit_2(db: None) -> None:
    with pytest.raises(CommandError) as failed:
        create_token("ci-bot", "--expires-in-days", "0")

    assert failed.value.returncode == 2 and not ApiToken.objects.exists()


def test_create_token__unknown_role__exit_2_from_the_command_line(tmp_path: Path) -> None:
    # When the command is run as a shell would, with a role that does not exist
    done = subprocess.run(
        [sys.executable, "manage.py", "create_token", "ci-bot", "--role", "boss"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "RRM_VAR_DIR": str(tmp_path)})

    # Then argparse refuses it with exit status 2, naming the choices, and prints no token
    assert done.returncode == 2, done.stderr
    assert "invalid choice: 'boss'" in done.stderr and "operator" in done.stderr
    assert done.stdout == ""


def test_create_token__unknown_role__no_user_created(db: None) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        create_token("ci-bot", "--role", "boss")

    assert not User.objects.filter(username="ci-bot").exists()


@pytest.mark.django_db
def test_revoke_token__by_prefix__token_stops_working() -> None:
    from django.core.management import call_command

    from rollout.services.roles import Role
    from rollout.services.tokens import (
        token_authenticate,
        token_create_for_username,
        tokens_forget,
    )

    _, text = token_create_for_username(username="bot", role=Role.VIEWER)
    assert token_authenticate(text=text) is not None

    call_command("revoke_token", text.split("_")[1])
    tokens_forget()

    assert token_authenticate(text=text) is None
