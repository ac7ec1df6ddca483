"""`manage.py demo`: load the demo network and its versions (idempotent).

The demo is a US network built from real geography by `rollout.demo` (lower-48 ZIP3 zones,
facilities at real metros), in three versions that tell the regionalisation story of DESIGN
section 1: national routing, then Northeast and Mid-Atlantic regionalised, then all eight. Each
version's parent is the one before it. Content addressing makes a second run a no-op: the same
bytes give the same version, which is reported as already present.

`--export DIR` also writes each version as a bundle directory (DIR/national, DIR/ne-ma,
DIR/all-eight), for `validate` and `simulate` from the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.demo import demo_bundles
from rollout.models import Version
from rollout.services.versions import version_create


class Command(BaseCommand):
    help = "Load the demo network's versions (national, NE+MA, all eight); safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--export", metavar="DIR",
                            help="also write each version as a bundle directory under DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        parent: Version | None = None
        for demo in demo_bundles():
            result = version_create(files=demo.files, message=demo.message, parent=parent)
            version = result.version
            state = "new" if result.created else "already present"
            validity = "valid" if version.valid else f"INVALID, {version.error_count} error(s)"
            self.stdout.write(f"{demo.name}: version {version.id} ({state}; {validity}, "
                              f"{version.warning_count} warning(s); parent "
                              f"{version.parent_id or 'none'})")
            parent = version
            if options["export"]:
                target = Path(options["export"]) / demo.name
                target.mkdir(parents=True, exist_ok=True)
                for name, raw in demo.files.items():
                    (target / name).write_bytes(raw)
