"""`manage.py active [--at T] [--format text|json]`: the composite state, per region its version,
now or as it was at instant T (ISO 8601 UTC)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.errors import RolloutError
from rollout.management.output import add_format_argument, command_error, write_json
from rollout.services.live import live_summary
from rollout.services.live_history import instant_parse, live_summary_as_of


class Command(BaseCommand):
    help = "Show which version each region is live on right now."
    requires_system_checks: list[str] = []  # as `rollout`: an answer, not a site check

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", metavar="T",
                            help="as it was at this instant (ISO 8601 UTC, e.g. "
                                 "2026-11-30T14:54:00Z)")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = (live_summary() if options["at"] is None
                       else live_summary_as_of(at=instant_parse(text=options["at"])))
        except RolloutError as exc:
            raise command_error(exc) from exc
        regions, gaps = summary["regions"], summary["gaps"]
        if options["format"] == "json":
            write_json(self, summary)
            return
        if not regions:
            self.stdout.write("nothing is live yet" if options["at"] is None
                              else f"nothing was live at {summary['at']}")
        for code, row in regions.items():
            self.stdout.write(f"{code:<8} {row['version'] or '(not live)':<14} "
                              f"{row['zones']:>6} zones  since {row['activated_at']} "
                              f"({row['kind']} #{row['activation']})")
        if gaps:
            self.stdout.write(f"COVERAGE GAPS: {', '.join(gaps)}")
