"""`manage.py active [--format text|json]`: the composite state, per region its version."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.output import add_format_argument, write_json
from rollout.services.live import latest_activations, live_state


class Command(BaseCommand):
    help = "Show which version each region is live on right now."

    def add_arguments(self, parser: CommandParser) -> None:
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        latest = latest_activations()
        state = live_state().composite
        regions = {
            code: {"version": a.version_id, "activation": a.id, "kind": a.kind,
                   "activated_at": a.created_at.isoformat(),
                   "zones": sum(1 for owner in state.zone_owner.values() if owner == code)}
            for code, a in sorted(latest.items())
        }
        if options["format"] == "json":
            write_json(self, {"regions": regions, "gaps": state.gaps})
            return
        if not regions:
            self.stdout.write("nothing is live yet")
        for code, row in regions.items():
            self.stdout.write(f"{code:<8} {row['version'] or '(not live)':<14} "
                              f"{row['zones']:>6} zones  since {row['activated_at']} "
                              f"({row['kind']} #{row['activation']})")
        if state.gaps:
            self.stdout.write(f"COVERAGE GAPS: {', '.join(state.gaps)}")
