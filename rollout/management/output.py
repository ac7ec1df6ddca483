"""Shared bits of the management commands: output format, exit statuses (DESIGN section 9) and
the acting user.

Exit statuses: 0 success, 1 a check or the state machine refused, 2 unusable arguments or path.
A refusal (`RolloutError`) exits with the status its kind maps to in `EXIT_STATUS`.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rollout.domain.checks import cap_per_code
from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.findings import SHOWN_PER_CODE, Finding, summary_line

EXIT_REFUSED = 1
EXIT_UNUSABLE = 2

#: The one mapping of an error's kind to a command's exit status: what an argument names does
#: not exist, or no request could use it: 2; anything refused (state, role, a check): 1.
EXIT_STATUS: dict[ErrorKind, int] = {
    ErrorKind.NOT_FOUND: EXIT_UNUSABLE,
    ErrorKind.CONFLICT: EXIT_REFUSED,
    ErrorKind.FORBIDDEN: EXIT_REFUSED,
    ErrorKind.INVALID: EXIT_REFUSED,
    ErrorKind.MALFORMED: EXIT_REFUSED,
    ErrorKind.UNUSABLE: EXIT_UNUSABLE,
    ErrorKind.RATE_LIMITED: EXIT_REFUSED,
}


def add_format_argument(parser: CommandParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")


def write_json(command: BaseCommand, payload: Any) -> None:
    command.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def unusable(message: str) -> CommandError:
    """An error for arguments or paths the command cannot use (exit status 2)."""
    return CommandError(message, returncode=EXIT_UNUSABLE)


def refused(message: str) -> CommandError:
    """An error for a request that a check or the state machine refuses (exit status 1)."""
    return CommandError(message, returncode=EXIT_REFUSED)


def exit_status(error: RolloutError) -> int:
    """The exit status a refusal ends a command with: its kind's."""
    return EXIT_STATUS[error.kind]


def command_error(error: RolloutError) -> CommandError:
    """The CommandError for a refusal: its message, and the exit status of its kind."""
    return CommandError(str(error), returncode=exit_status(error))


def write_findings(command: BaseCommand, findings: list[Finding]) -> None:
    """A refusal's findings on stderr: a few of each code, one line counting the rest (as
    `validate` caps them), and the summary line of them all."""
    if not findings:
        return
    for item in cap_per_code(findings, SHOWN_PER_CODE):
        command.stderr.write(item.as_text())
    command.stderr.write(summary_line(findings))


def acting_user(username: str | None) -> User | None:
    """The user a command acts as (`--as USER`): None without one (the process itself acts,
    and the services refuse what needs a role), an unusable argument (exit 2) for an unknown
    name."""
    if username is None:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise unusable(f"no user {username!r}")
    assert isinstance(user, User)
    return user
