"""`manage.py import_config PATH --message M [--author USER]`: store a bundle as a version.

Invalid bundles are stored too (with their findings; they can never be rolled out). The version
id is printed alone on the last line so scripts can capture it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.bundle import read_bundle_path
from rollout.domain.errors import RolloutError
from rollout.management.output import acting_user, command_error
from rollout.models import Version
from rollout.selectors import version_get
from rollout.services.versions import LATEST, version_create


class Command(BaseCommand):
    help = "Store a bundle as an immutable version and print its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="bundle directory or single YAML file")
        parser.add_argument("--message", "-m", required=True, help="what changed and why")
        parser.add_argument("--author", help="username of the author (default: none)")
        parser.add_argument("--parent", help="parent version id (default: the latest version)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._import(options)
        except RolloutError as exc:
            # a bundle that cannot be stored names its unreadable files, every one of them
            for item in exc.findings:
                self.stderr.write(item.as_text())
            raise command_error(exc) from exc

    def _import(self, options: dict[str, Any]) -> None:
        files = read_bundle_path(options["path"])  # no bundle there: exit 2
        author = acting_user(options["author"] or None)
        parent: Version | object = LATEST
        if options["parent"]:
            parent = version_get(ref=options["parent"])
        # an --author who may not store versions: exit 1 (RoleRequired)
        result = version_create(files=files, message=options["message"], author=author,
                                parent=parent)  # type: ignore[arg-type]  # Version | LATEST
        version = result.version
        state = "valid" if version.valid else (
            f"INVALID: {version.error_count} error(s); it can be stored but never rolled out")
        verb = "stored new version" if result.created else "same content as existing version"
        self.stderr.write(f"{verb} {version.id} ({state}, {version.warning_count} warning(s))")
        if not version.valid:
            for finding in version.findings[:20]:
                self.stderr.write(f"{finding['file']}:{finding['line']}:{finding['column']}: "
                                  f"{finding['severity']} {finding['code']} {finding['message']}")
        self.stdout.write(version.id)
