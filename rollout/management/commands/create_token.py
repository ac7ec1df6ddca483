"""`manage.py create_token USERNAME [--role ROLE]`: creates the user if needed and prints the
token alone on its last line (it is stored only as a hash and cannot be shown again)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.errors import RolloutError
from rollout.management.output import command_error
from rollout.services.roles import Role
from rollout.services.tokens import token_create_for_username


class Command(BaseCommand):
    help = "Create an API token for a user (created if missing) with a role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=[r.value for r in Role], default=Role.VIEWER.value)
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token, text = token_create_for_username(
                username=options["username"], role=Role(options["role"]), name=options["name"],
                expires_in_days=options["expires_in_days"])
        except RolloutError as exc:
            raise command_error(exc) from exc
        expiry = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
        self.stderr.write(f"token for {token.user.username} with role {token.role}{expiry} "
                          "(shown once; store it now):")
        self.stdout.write(text)
