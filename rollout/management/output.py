"""Shared bits of the management commands: output format and exit statuses (DESIGN section 9).

Exit statuses: 0 success, 1 a check or the state machine refused, 2 unusable arguments or path.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

EXIT_REFUSED = 1
EXIT_UNUSABLE = 2


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
