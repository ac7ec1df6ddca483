"""`manage.py import_config PATH --message M [--author USER]`: store a bundle as a version.

Invalid bundles are stored too (with their findings; they can never be rolled out). The version
id is printed alone on the last line so scripts can capture it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.bundle import BundleReadError, read_bundle_path
from rollout.management.output import refused, unusable
from rollout.models import Version
from rollout.selectors import VersionNotFound, version_get
from rollout.services.roles import RoleRequired
from rollout.services.versions import LATEST, VersionRejected, version_create


class Command(BaseCommand):
    help = "Store a bundle as an immutable version and print its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="bundle directory or single YAML file")
        parser.add_argument("--message", "-m", required=True, help="what changed and why")
        parser.add_argument("--author", help="username of the author (default: none)")
        parser.add_argument("--parent", help="parent version id (default: the latest version)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            files = read_bundle_path(options["path"])
        except BundleReadError as exc:
            raise unusable(str(exc)) from exc
        author = None
        if options["author"]:
            author = get_user_model().objects.filter(username=options["author"]).first()
            if author is None:
                raise unusable(f"no user '{options['author']}'")
        parent: Version | object = LATEST
        if options["parent"]:
            try:
                parent = version_get(ref=options["parent"])
            except VersionNotFound as exc:
                raise unusable(str(exc)) from exc
        try:
            result = version_create(files=files, message=options["message"], author=author,
                                    parent=parent)  # type: ignore[arg-type]  # Version | LATEST
        except VersionRejected as exc:
            for item in exc.findings:
                self.stderr.write(item.as_text())
            raise refused(str(exc)) from exc
        except RoleRequired as exc:  # --author names someone who may not store versions
            raise refused(str(exc)) from exc
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
