"""`manage.py create_user NAME --role ROLE...` and the role groups the migrations create."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from rollout.models import AuditEvent
from rollout.services.roles import Role, user_roles
from rollout.services.users import UserRefused, user_create
from tests.factories import user_factory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase-42"


def create_user(*args: str, stdin: str = PASSWORD + "\n") -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out, stdin=io.StringIO(stdin))
    return out.getvalue().strip()


def test_role_groups__after_migrate__every_role_has_its_group() -> None:
    # Given the test database, built by the migrations
    # When
    names = set(Group.objects.values_list("name", flat=True))

    # Then
    assert {"viewer", "editor", "approver", "operator", "observer"} <= names


def test_create_user__two_roles_password_on_stdin__user_logs_in_with_those_roles() -> None:
    # Given no user "reviewer"
    # When
    output = create_user("reviewer", "--role", "approver", "--role", "operator",
                         "--password-stdin")

    # Then
    assert output == "created user reviewer (approver, operator) with a password"
    user = User.objects.get(username="reviewer")
    assert user_roles(user=user) == {Role.APPROVER, Role.OPERATOR}
    assert Client().login(username="reviewer", password=PASSWORD)


def test_create_user__created__audited_with_its_roles() -> None:
    # Given / When
    create_user("planner", "--role", "editor", "--password-stdin")

    # Then
    event = AuditEvent.objects.get(action="user.created")
    assert event.object_id == "planner"
    assert event.details == {"roles": ["editor"], "password": True}


def test_create_user__unknown_role__exit_2_names_the_roles_and_creates_nothing() -> None:
    # Given / When
    with pytest.raises(CommandError) as raised:
        create_user("planner", "--role", "editor", "--role", "admin", "--password-stdin")

    # Then
    assert raised.value.returncode == 2
    assert str(raised.value) == ("unknown role 'admin': the roles are "
                                 + ", ".join(role.value for role in Role))
    assert not User.objects.filter(username="planner").exists()
    assert not AuditEvent.objects.filter(action="user.created").exists()


def test_create_user__name_taken__exit_1_and_the_user_is_unchanged() -> None:
    # Given
    existing = user_factory("planner")

    # When
    with pytest.raises(CommandError) as raised:
        create_user("planner", "--role", "approver", "--password-stdin")

    # Then
    assert raised.value.returncode == 1
    assert str(raised.value) == "user 'planner' exists already"
    assert user_roles(user=User.objects.get(pk=existing.pk)) == set()


def test_create_user__common_password__exit_2_says_why() -> None:
    # Given / When
    with pytest.raises(CommandError) as raised:
        create_user("planner", "--role", "editor", "--password-stdin", stdin="password\n")

    # Then
    assert raised.value.returncode == 2
    assert str(raised.value) == "password refused: This password is too common."
    assert not User.objects.filter(username="planner").exists()


def test_create_user__no_terminal_and_no_password_option__exit_2_says_what_to_pass() -> None:
    # Given stdin that is not a terminal (a StringIO), and no --password-stdin
    # When
    with pytest.raises(CommandError) as raised:
        create_user("planner", "--role", "editor")

    # Then
    assert raised.value.returncode == 2
    assert "--password-stdin" in str(raised.value)


def test_create_user__no_password__token_only_account_cannot_log_in() -> None:
    # Given / When
    output = create_user("order-router", "--role", "viewer", "--no-password")

    # Then
    assert output == "created user order-router (viewer) without a password login"
    assert not User.objects.get(username="order-router").has_usable_password()


def test_user_create__actor_not_superuser__refused() -> None:
    # Given an operator, who holds a role but is not a superuser
    operator = user_factory("oncall")

    # When / Then
    with pytest.raises(UserRefused, match="oncall may not create users"):
        user_create(username="friend", password=None, roles=["operator"], actor=operator)
    assert not User.objects.filter(username="friend").exists()


def test_user_create__bad_user_name__refused_with_the_name() -> None:
    # Given / When / Then
    with pytest.raises(UserRefused, match=r"user name 'two words'"):
        user_create(username="two words", password=None, roles=["viewer"])
