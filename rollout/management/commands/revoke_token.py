"""`manage.py revoke_token PREFIX`: revoke an API token by its public prefix (the part after
`rrm_`); it stops working within RRM_TOKEN_CACHE_SECONDS everywhere."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.output import unusable
from rollout.selectors.tokens import token_get_by_prefix
from rollout.services.tokens import token_revoke


class Command(BaseCommand):
    help = "Revoke an API token (give its prefix, or the whole token)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", help="the token's prefix (rrm_<prefix>_...) or the token")

    def handle(self, *args: Any, **options: Any) -> None:
        text = options["token"].strip()
        prefix = text.split("_")[1] if text.startswith("rrm_") else text
        token = token_get_by_prefix(prefix=prefix)
        if token is None:
            raise unusable(f"no token with prefix {prefix!r}")
        token_revoke(token_id=token.id, actor=None)
        self.stdout.write(f"revoked token {prefix} of {token.user.username}")
