"""Shared bits of the commands (rollout.management.output): the acting user of `--as USER`, a
refusal's exit status and its findings on stderr."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management.base import BaseCommand, CommandError

from rollout.domain.findings import Finding
from rollout.management.output import acting_user, command_error, write_findings
from rollout.services.activations import ActivationRefused
from rollout.services.tokens import TokenRefused
from tests.factories import user_factory


def test_acting_user__no_name__none() -> None:
    assert acting_user(None) is None


@pytest.mark.django_db
def test_acting_user__known_name__that_user() -> None:
    user = user_factory("otto")

    assert acting_user("otto") == user


@pytest.mark.django_db
def test_acting_user__unknown_name__unusable_argument() -> None:
    with pytest.raises(CommandError, match="no user 'mallory'") as raised:
        acting_user("mallory")

    assert raised.value.returncode == 2


@pytest.mark.parametrize(("error", "status"), [
    (ActivationRefused("the live network would break"), 1),
    (TokenRefused("a token must expire in at least one day"), 2),
])
def test_command_error__refusal__exit_status_of_its_kind(error: Exception, status: int) -> None:
    assert isinstance(error, ActivationRefused | TokenRefused)

    assert command_error(error).returncode == status


def test_write_findings__findings__each_then_the_summary_on_stderr() -> None:
    command = BaseCommand(stdout=StringIO(), stderr=StringIO())
    findings = [Finding(code="E141", message="no path", file="routes.yaml", line=2, column=3)]

    write_findings(command, findings)

    lines = command.stderr._out.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("routes.yaml:2:3:") and len(lines) == 2


def test_write_findings__none__nothing_written() -> None:
    command = BaseCommand(stdout=StringIO(), stderr=StringIO())

    write_findings(command, [])

    assert command.stderr._out.getvalue() == ""  # type: ignore[attr-defined]
