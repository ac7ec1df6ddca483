"""`manage.py route ZONE`: which FCs serve the zone right now (same as GET /api/v1/route)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.output import add_format_argument, refused, write_json
from rollout.services.route_index import route_lookup


class Command(BaseCommand):
    help = "Show the live route of a zone: its region, version, candidate FCs and path."
    requires_system_checks: list[str] = []  # as `rollout`: an answer, not a site check

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        answer = route_lookup(options["zone"])
        if answer is None:
            raise refused(f"zone {options['zone']!r} is not live")
        if options["format"] == "json":
            write_json(self, answer)
            return
        self.stdout.write(f"zone {answer['zone']}: region {answer['region']}, "
                          f"version {answer['version']}")
        self.stdout.write(f"  fcs:  {', '.join(answer['fcs'])}")  # type: ignore[arg-type]
        self.stdout.write(f"  path: {' -> '.join(answer['path'])}")  # type: ignore[arg-type]
