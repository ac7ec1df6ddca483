"""Storing versions: content-addressed, immutable, validated once at creation."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import IntegrityError, transaction

from rollout.domain.bundle import Bundle, is_directory_form
from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.limits import CODE as LIMIT_CODE
from rollout.domain.text import text_problem
from rollout.domain.validate import ValidationReport, validate_files
from rollout.models import Version, VersionFile
from rollout.services.audit import audit_record
from rollout.services.roles import Role, role_require_or_process

logger = logging.getLogger(__name__)

#: Length of a version id: a sha256 prefix, lengthened only in the unlikely event of a clash.
VERSION_ID_LENGTH = 12
MAX_FILES = 8


class VersionRejected(RolloutError):
    """The bundle cannot be stored at all (not the same as invalid: invalid bundles are stored).

    Raised for files that are not text (not UTF-8, NUL bytes, over the size limit), unusable
    file names, or an empty message or one that cannot be stored (a NUL character).
    """

    kind = ErrorKind.MALFORMED
    shows_findings = True


@dataclass
class VersionCreateResult:
    version: Version
    created: bool
    report: ValidationReport | None = field(default=None)


class _Latest:
    """Marker: the parent is the most recently created version."""


LATEST = _Latest()


def version_digest(*, files: Mapping[str, bytes]) -> str:
    """sha256 of the canonical form: files sorted by name, each as name, size and bytes.

    Comments and layout are part of the content (they are exported byte for byte), so only
    byte-identical bundles share a version.
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        raw = files[name]
        digest.update(f"{name}\x00{len(raw)}\x00".encode())
        digest.update(raw)
    return digest.hexdigest()


def version_create(
    *,
    files: Mapping[str, bytes],
    message: str,
    author: AbstractBaseUser | None = None,
    parent: Version | _Latest | None = LATEST,
    source: GitSource | None = None,
) -> VersionCreateResult:
    """Validate and store a bundle; storing the same content twice returns the existing version.
    `source` records the Git commit the files were read from (kept on an existing version
    that had none).

    An `author` must hold the editor role (RoleRequired). Without one the caller is whoever
    administers the machine (`manage.py import_config`, `demo`), as for `token_create`.
    """
    role_require_or_process(actor=author, roles=(Role.EDITOR,))
    message = message.strip()
    if not message:
        raise VersionRejected("a version needs a message saying what changed and why")
    problem = text_problem(message, what="the message")
    if problem:
        raise VersionRejected(problem)
    _check_file_names(files)
    digest = version_digest(files=files)
    existing = Version.objects.filter(digest=digest).first()
    if existing is not None:
        if source is not None and not existing.git_commit:
            _record_source(existing, source)
        return VersionCreateResult(version=existing, created=False)

    report = validate_files(files, max_bytes=settings.RRM_MAX_FILE_BYTES,
                            max_zones=settings.RRM_MAX_ZONES,
                            max_facilities=settings.RRM_MAX_FACILITIES)
    too_large = [f for f in report.findings if f.code == LIMIT_CODE]
    if too_large:
        raise VersionRejected("cannot store a network this large: "
                              + "; ".join(f.message for f in too_large)
                              + " (RRM_MAX_ZONES, RRM_MAX_FACILITIES)", findings=too_large)
    unstorable = [doc for doc in report.parsed.documents.values() if doc.text is None]
    if unstorable:
        names = ", ".join(doc.name for doc in unstorable)
        raise VersionRejected(f"cannot store {names}: not a UTF-8 text file within the size limit",
                              findings=[f for f in report.findings if f.file in
                                        {doc.name for doc in unstorable}])
    # Decode the bytes themselves (the loader strips a BOM): export must give them back exactly.
    texts = {name: raw.decode("utf-8") for name, raw in files.items()}
    try:
        with transaction.atomic():
            version = Version.objects.create(
                id=_free_id(digest),
                digest=digest,
                parent=Version.objects.order_by("-created_at", "-id").first()
                if isinstance(parent, _Latest) else parent,
                author=author if isinstance(author, User) and author.is_authenticated else None,
                message=message,
                layout=(Version.Layout.DIRECTORY if is_directory_form(files)
                        else Version.Layout.SINGLE),
                valid=report.valid,
                error_count=report.errors,
                warning_count=report.warnings,
                findings=[f.as_dict() for f in report.findings],
                stats=_stats(report.bundle, files),
                **(source.fields() if source is not None else {}),
            )
            VersionFile.objects.bulk_create(
                VersionFile(version=version, name=name, content=texts[name],
                            sha256=hashlib.sha256(files[name]).hexdigest(),
                            size=len(files[name]))
                for name in sorted(files)
            )
            audit_record(actor=author, action="version.created", object_type="version",
                         object_id=version.id, reason=message,
                         details={"valid": report.valid, "errors": report.errors,
                                  "warnings": report.warnings,
                                  "parent": version.parent_id,
                                  **({"git": source.fields()} if source is not None else {})})
    except IntegrityError:
        # Someone stored the same content between our lookup and our insert.
        return VersionCreateResult(version=Version.objects.get(digest=digest), created=False)
    logger.info("version.created version_id=%s valid=%s errors=%d warnings=%d", version.id,
                report.valid, report.errors, report.warnings)
    return VersionCreateResult(version=version, created=True, report=report)


def _check_file_names(files: Mapping[str, bytes]) -> None:
    if not files:
        raise VersionRejected("a bundle needs at least one file")
    if len(files) > MAX_FILES:
        raise VersionRejected(f"a bundle has at most {MAX_FILES} files, got {len(files)}")
    for name in files:
        if (not name or "/" in name or "\\" in name or name.startswith(".") or len(name) > 255
                or not name.endswith((".yaml", ".yml"))
                or any(ch in name for ch in '"<>|*?') or not name.isprintable()):
            raise VersionRejected(f"unusable file name {name!r}: expected a plain *.yaml name")


def _free_id(digest: str) -> str:
    length = VERSION_ID_LENGTH
    while Version.objects.filter(id=digest[:length]).exists():
        length += 4
    return digest[:length]


def _stats(bundle: Bundle | None, files: Mapping[str, bytes]) -> dict[str, object]:
    stats: dict[str, object] = {"bytes": sum(len(raw) for raw in files.values())}
    if bundle is not None:
        stats.update(
            zones=len(bundle.network.zones),
            facilities=len(bundle.network.facilities),
            lanes=len(bundle.network.lanes),
            regions=len(bundle.regions.regions),
            routes=len(bundle.routing.routes),
            region_codes=[region.code for region in bundle.regions.regions],
        )
    return stats


@dataclass(frozen=True)
class GitSource:
    """The Git commit a bundle's files were read from."""

    repository: str
    ref: str
    commit: str
    path: str = ""

    def fields(self) -> dict[str, str]:
        return {"git_repository": self.repository, "git_ref": self.ref,
                "git_commit": self.commit, "git_path": self.path}


def _record_source(version: Version, source: GitSource) -> None:
    """The same content imported from Git after it was stored some other way: say where it
    lives now (only the provenance; the files and the findings never change)."""
    Version.objects.filter(id=version.id, git_commit="").update(**source.fields())
    version.refresh_from_db(fields=list(source.fields()))

