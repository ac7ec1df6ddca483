"""`manage.py diff A B [--format text|json]`: what changed between two versions.

The semantic diff comes first (zones moved between regions, facilities and lanes added or
removed, routes whose candidates or paths changed), then a unified diff of each file.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.diff import render_text, semantic_diff, text_diff
from rollout.management.output import add_format_argument, command_error, write_json
from rollout.selectors import VersionNotFound, version_bundle, version_files, version_get


class Command(BaseCommand):
    help = "Show the semantic and the text difference between two versions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("a", help="the older version id (or a unique prefix)")
        parser.add_argument("b", help="the newer version id (or a unique prefix)")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            old, new = version_get(ref=options["a"]), version_get(ref=options["b"])
        except VersionNotFound as exc:
            raise command_error(exc) from exc
        old_bundle, new_bundle = version_bundle(version=old), version_bundle(version=new)
        files = text_diff(version_files(version=old), version_files(version=new))
        semantic = (semantic_diff(old_bundle, new_bundle)
                    if old_bundle is not None and new_bundle is not None else None)
        if options["format"] == "json":
            write_json(self, {
                "a": old.id,
                "b": new.id,
                "semantic": semantic.as_dict() if semantic is not None else None,
                "files": [item.as_dict() for item in files],
            })
            return
        self.stdout.write(f"diff {old.id} -> {new.id}")
        if semantic is None:
            broken = ", ".join(v.id for v, b in ((old, old_bundle), (new, new_bundle)) if b is None)
            self.stdout.write(f"(no semantic diff: {broken} does not pass the schema)")
            self.stdout.write("".join(item.diff for item in files))
            return
        self.stdout.write(render_text(semantic, files))
