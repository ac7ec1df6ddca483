"""`manage.py git_mirror [--rebuild] [--format text|json]`: write the live state to the Git
mirror (RRM_GIT_MIRROR) now; with --rebuild, its whole history from the activations."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.management.output import add_format_argument, refused, unusable, write_json
from rollout.services.git_mirror import git_mirror_rebuild, git_mirror_sync
from rollout.services.git_repo import GitFailed


class Command(BaseCommand):
    help = ("Write the live states the Git mirror lacks (--rebuild: write its whole history "
            "again from the activations, for a mirror set up late or lost).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true",
                            help="replace the branch with the whole history")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = git_mirror_rebuild() if options["rebuild"] else git_mirror_sync()
        except GitFailed as exc:
            raise refused(f"the Git mirror failed: {exc}") from exc
        if result is None:
            raise unusable("no Git mirror: set RRM_GIT_MIRROR to a repository path")
        if options["format"] == "json":
            write_json(self, {"written": result.written, "sequence": result.sequence,
                              "pushed": result.pushed})
            return
        self.stdout.write(f"{len(result.written)} commit(s) written; the mirror is at live "
                          f"sequence {result.sequence}" + (" (pushed)" if result.pushed else ""))
