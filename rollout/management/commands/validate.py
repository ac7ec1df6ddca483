"""`manage.py validate PATH [--format text|json]`: check a bundle without storing it.

Exit 0 when valid (warnings allowed), 1 when errors were found, 2 for an unusable path.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.bundle import BundleReadError, read_bundle_path
from rollout.domain.findings import summary_line
from rollout.domain.validate import validate_files
from rollout.management.output import (
    EXIT_REFUSED,
    add_format_argument,
    command_error,
    write_json,
)


class Command(BaseCommand):
    help = "Validate a bundle (a directory or a single YAML file) against the network graph."
    requires_system_checks: list[str] = []  # a CI step wants an answer, not a site check

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="bundle directory or single YAML file")
        add_format_argument(parser)
        parser.add_argument("--timings", action="store_true",
                            help="print the time of each phase to stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            files = read_bundle_path(options["path"])
        except BundleReadError as exc:
            raise command_error(exc) from exc
        report = validate_files(files, max_bytes=settings.RRM_MAX_FILE_BYTES)
        if options["format"] == "json":
            write_json(self, report.as_dict())
        else:
            for item in report.findings:
                self.stdout.write(item.as_text())
            self.stdout.write(summary_line(report.findings))
        if options["timings"]:
            for phase, seconds in report.timings.items():
                self.stderr.write(f"{phase:>14}: {seconds * 1000:8.1f} ms")
        if not report.valid:
            self.stdout.flush()
            sys.exit(EXIT_REFUSED)
