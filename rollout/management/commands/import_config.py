"""`manage.py import_config PATH --message M [--author USER]`: store a bundle as a version;
`manage.py import_config --git REPO --ref REF [--path DIR] --message M`: the same from a commit
of a Git repository (the version records the repository, the ref and the commit).

Invalid bundles are stored too (with their findings; they can never be rolled out). The version
id is printed alone on the last line so scripts can capture it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.bundle import read_bundle_path
from rollout.domain.errors import RolloutError
from rollout.management.output import acting_user, command_error, unusable
from rollout.models import Version
from rollout.selectors import version_get
from rollout.services.git_import import version_import_git
from rollout.services.versions import LATEST, version_create


class Command(BaseCommand):
    help = "Store a bundle as an immutable version and print its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="bundle directory or single YAML file")
        parser.add_argument("--git", metavar="REPO",
                            help="read the bundle from this Git repository (URL or path)")
        parser.add_argument("--ref", help="with --git: the branch, tag or commit (default HEAD)")
        parser.add_argument("--path", dest="git_path", default="", metavar="DIR",
                            help="with --git: the bundle's folder (or file) in the repository")
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
        if (options["path"] is None) == (options["git"] is None):
            raise unusable("give a PATH, or --git REPO (with --ref and --path), not both")
        if options["git"] is None and (options["ref"] or options["git_path"]):
            raise unusable("--ref and --path go with --git")
        author = acting_user(options["author"] or None)
        parent: Version | object = LATEST
        if options["parent"]:
            parent = version_get(ref=options["parent"])
        # an --author who may not store versions: exit 1 (RoleRequired)
        if options["git"] is not None:
            result = version_import_git(repository=options["git"],
                                        ref=options["ref"] or "HEAD",
                                        path=options["git_path"], message=options["message"],
                                        author=author, parent=parent, by_administrator=True)
            self.stderr.write(f"read from {options['git']} at {options['ref'] or 'HEAD'}: "
                              f"commit {result.version.git_commit}")
        else:
            files = read_bundle_path(options["path"])  # no bundle there: exit 2
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
