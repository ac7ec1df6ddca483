"""`manage.py create_user NAME --role ROLE [--role ROLE ...]` (DESIGN section 11): a login with a
password and its roles, e.g. the second person of four eyes.

The password is asked for twice on the terminal, or read from the first line of stdin with
`--password-stdin` (for scripts: `echo "$PW" | manage.py create_user ...`); `--no-password`
makes an account that only uses API tokens. Exit 0 when created, 1 when the name is taken,
2 for an unknown role, a bad name or a refused password.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.errors import RolloutError
from rollout.management.output import command_error, unusable
from rollout.services.roles import Role
from rollout.services.users import user_create


class Command(BaseCommand):
    help = "Create a user with a password and one or more roles."
    stealth_options = ("stdin",)  # call_command(..., stdin=...) in tests, as createsuperuser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", action="append", required=True, metavar="ROLE",
                            help=f"one of {', '.join(r.value for r in Role)}; repeat it (or "
                                 "separate with commas) for several")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of stdin")
        source.add_argument("--no-password", action="store_true",
                            help="no password login (an account that only uses API tokens)")

    def handle(self, *args: Any, **options: Any) -> None:
        stdin: TextIO = options.get("stdin") or sys.stdin
        roles = [name for text in options["role"] for name in text.split(",") if name.strip()]
        password: str | None
        if options["no_password"]:
            password = None
        elif options["password_stdin"]:
            password = stdin.readline().rstrip("\r\n")
        else:
            password = self._prompt(stdin)
        try:
            user = user_create(username=options["username"], password=password, roles=roles)
        except RolloutError as exc:  # a taken name exits 1, a bad role, name or password 2
            raise command_error(exc) from exc
        names = ", ".join(sorted(user.groups.values_list("name", flat=True)))
        login = "with a password" if password is not None else "without a password login"
        self.stdout.write(f"created user {user.username} ({names}) {login}")

    def _prompt(self, stdin: TextIO) -> str:
        if not stdin.isatty():
            raise unusable("no terminal to ask for the password on: pass it on stdin with "
                           "--password-stdin (or use --no-password)")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise unusable("the two passwords differ")
        return first
