"""`manage.py route ZONE [--at T]`: which FCs serve the zone right now, or served it at instant T
(the same answers as GET /api/v1/route and its `at`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.errors import RolloutError
from rollout.management.output import add_format_argument, command_error, refused, write_json
from rollout.services.live_history import instant_parse, route_as_of
from rollout.services.route_index import route_lookup


class Command(BaseCommand):
    help = "Show the live route of a zone: its region, version, candidate FCs and path."
    requires_system_checks: list[str] = []  # as `rollout`: an answer, not a site check

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        parser.add_argument("--at", metavar="T",
                            help="as answered at this instant (ISO 8601 UTC, e.g. "
                                 "2026-11-30T14:54:00Z)")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        zone = options["zone"]
        if options["at"] is None:
            answer = route_lookup(zone=zone)
            if answer is None:
                raise refused(f"zone {zone!r} is not live")
        else:
            try:
                at = instant_parse(text=options["at"])
            except RolloutError as exc:
                raise command_error(exc) from exc
            answer = route_as_of(zone=zone, at=at)
            if answer is None:
                raise refused(f"zone {zone!r} was not live at {at.isoformat()}")
        if options["format"] == "json":
            write_json(self, answer)
            return
        self.stdout.write(f"zone {answer['zone']}: region {answer['region']}, "
                          f"version {answer['version']}")
        self.stdout.write(f"  fcs:  {', '.join(answer['fcs'])}")  # type: ignore[arg-type]
        self.stdout.write(f"  path: {' -> '.join(answer['path'])}")  # type: ignore[arg-type]
