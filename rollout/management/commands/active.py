"""`manage.py active [--format text|json]`: the composite state, per region its version."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.output import add_format_argument, write_json
from rollout.services.live import live_summary


class Command(BaseCommand):
    help = "Show which version each region is live on right now."
    requires_system_checks: list[str] = []  # as `rollout`: an answer, not a site check

    def add_arguments(self, parser: CommandParser) -> None:
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        summary = live_summary()
        regions, gaps = summary["regions"], summary["gaps"]
        if options["format"] == "json":
            write_json(self, summary)
            return
        if not regions:
            self.stdout.write("nothing is live yet")
        for code, row in regions.items():
            self.stdout.write(f"{code:<8} {row['version'] or '(not live)':<14} "
                              f"{row['zones']:>6} zones  since {row['activated_at']} "
                              f"({row['kind']} #{row['activation']})")
        if gaps:
            self.stdout.write(f"COVERAGE GAPS: {', '.join(gaps)}")
