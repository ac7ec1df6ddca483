"""`manage.py region_rollback CODE --version V --reason TEXT [--as USER]`: one region back."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.errors import RolloutError
from rollout.management.output import (
    acting_user,
    add_format_argument,
    command_error,
    write_findings,
    write_json,
)
from rollout.selectors import version_get
from rollout.services.activations import region_rollback


class Command(BaseCommand):
    help = "Put one region back on an earlier version ('none' takes it out of service)."
    requires_system_checks: list[str] = []  # as `rollout`: an answer, not a site check

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="region code")
        # DESIGN section 9 names this option --version, which Django's own --version (the
        # framework's version) would shadow: let ours replace it for this command.
        parser.conflict_handler = "resolve"
        parser._optionals.conflict_handler = "resolve"  # options live in this group
        parser.add_argument("--version", required=True, help="version id, or 'none'")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--as", dest="as_user", help="acting user")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["as_user"])
        try:
            version = (None if options["version"].lower() == "none"
                       else version_get(ref=options["version"]))
            activation = region_rollback(region=options["code"], version=version,
                                         reason=options["reason"], actor=actor)
        except RolloutError as exc:
            write_findings(self, exc.findings)
            raise command_error(exc) from exc
        payload = {"region": activation.region, "version": activation.version_id,
                   "activation": activation.id}
        if options["format"] == "json":
            write_json(self, payload)
        else:
            self.stdout.write(f"region {activation.region} now on "
                              f"{activation.version_id or 'nothing (not live)'} "
                              f"(activation {activation.id})")
