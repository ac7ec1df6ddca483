"""`manage.py export_config VERSION DIR`: write a version's files, byte for byte as imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.output import command_error, unusable
from rollout.selectors import VersionNotFound, version_get, version_raw_files


class Command(BaseCommand):
    help = "Write a version's files into a directory, exactly as they were imported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", help="version id (or a unique prefix)")
        parser.add_argument("dir", help="directory to write into (created if missing)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = version_get(ref=options["version"])
        except VersionNotFound as exc:
            raise command_error(exc) from exc
        target = Path(options["dir"])
        if target.exists() and not target.is_dir():
            raise unusable(f"{target} exists and is not a directory")
        try:
            target.mkdir(parents=True, exist_ok=True)
            for name, raw in version_raw_files(version=version).items():
                (target / name).write_bytes(raw)
                self.stdout.write(str(target / name))
        except OSError as exc:
            raise unusable(f"{target}: {exc.strerror or exc}") from exc
