"""Versions: one by id or prefix, the list, their files and their parsed bundles."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from pydantic import BaseModel

from rollout.caches import bounded_cache
from rollout.domain.bundle import (
    REQUIRED_SECTIONS,
    SECTION_FILES,
    Bundle,
    is_directory_form,
    parse_bundle,
    parse_section,
)
from rollout.domain.errors import NotFoundError
from rollout.domain.gcpause import freeze_long_lived
from rollout.models import Rollout, Version
from rollout.selectors.rollouts import IN_FLIGHT

MIN_PREFIX = 4


class VersionNotFound(NotFoundError):
    """No version has that id (or the prefix is ambiguous)."""


def version_get(*, ref: str) -> Version:
    """A version by id, or by a unique prefix of at least 4 characters (as git does)."""
    ref = ref.strip().lower()
    version = Version.objects.filter(id=ref).first()
    if version is not None:
        return version
    if len(ref) < MIN_PREFIX:
        raise VersionNotFound(f"no version '{ref}' (give at least {MIN_PREFIX} characters)")
    matches = list(Version.objects.filter(id__startswith=ref)[:2])
    if not matches:
        raise VersionNotFound(f"no version '{ref}'")
    if len(matches) > 1:
        raise VersionNotFound(f"'{ref}' is ambiguous: it starts more than one version id")
    return matches[0]


def version_list(*, limit: int = 100, offset: int = 0) -> QuerySet[Version]:
    return Version.objects.select_related("author", "parent").order_by("-created_at", "-id")[
        offset : offset + limit
    ]


def version_files(*, version: Version) -> dict[str, str]:
    """The version's files as text, by name, exactly as imported."""
    return dict(version.files.values_list("name", "content"))


def version_raw_files(*, version: Version) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in version_files(version=version).items()}


def version_bundle(*, version: Version) -> Bundle | None:
    """The typed bundle of a version (None when its files do not pass the schema).

    Versions are immutable, so the parse is cached by id, within the process's cache budget
    (rollout.caches).
    """
    return _bundle_of(version.id, version.digest)[0]


#: bytes a parsed bundle holds per byte of its YAML (12.6 measured on the 4.4 MB national
#: bundle with tracemalloc): cheaper than walking a million objects, close enough for a budget
BUNDLE_BYTES_PER_YAML_BYTE = 13


@bounded_cache(size_of=lambda parsed, *_: parsed[1])
def _bundle_of(version_id: str, digest: str) -> tuple[Bundle | None, int]:
    """The bundle and what it weighs in memory. A bundle in directory form is put together
    from its files' parses, kept per file content: versions that differ in routing or regions
    share the parse of their network (40,000 zones: most of a bundle's parse)."""
    version = Version.objects.get(id=version_id, digest=digest)
    files = version_raw_files(version=version)
    weight = 4096 + BUNDLE_BYTES_PER_YAML_BYTE * sum(len(raw) for raw in files.values())
    if is_directory_form(files) and all(SECTION_FILES[s] in files for s in REQUIRED_SECTIONS):
        parts = {section: _section_of(section, hashlib.sha256(raw).hexdigest(), raw)
                 for section, name in SECTION_FILES.items() if (raw := files.get(name))}
        if all(parts.get(section) is not None for section in REQUIRED_SECTIONS):
            assembled = Bundle(network=parts["network"],  # type: ignore[arg-type]  # by section
                               regions=parts["regions"],  # type: ignore[arg-type]
                               routing=parts["routing"],  # type: ignore[arg-type]
                               demand=parts.get("demand"))  # type: ignore[arg-type]
            freeze_long_lived()
            return assembled, weight
    bundle = parse_bundle(files).bundle
    freeze_long_lived()  # a cached bundle is long-lived: keep the collector from walking it
    return bundle, weight


@bounded_cache(size_of=lambda _, section, sha, raw: 4096 + BUNDLE_BYTES_PER_YAML_BYTE * len(raw),
               key=lambda section, sha, raw: (section, sha))
def _section_of(section: str, sha: str, raw: bytes) -> BaseModel | None:
    """A stored file's section, typed, by its content's sha256."""
    model = parse_section(section, raw)
    freeze_long_lived()
    return model



def version_count() -> int:
    """How many versions are stored."""
    return Version.objects.count()


def version_choices(*, limit: int = 200) -> list[Version]:
    """The newest `limit` valid versions (those a rollout may take live), newest first, with
    only what a choice shows: id, message, created_at."""
    return list(Version.objects.filter(valid=True).order_by("-created_at", "-id")
                .only("id", "message", "created_at")[:limit])


def version_upcoming(*, anything_live: bool) -> Version | None:
    """The version whose network supplies the zones not live yet on the live pages: the one the
    newest rollout in flight is taking live; while nothing is live, the newest valid version
    (what a first rollout would take live); otherwise none. Only its id and digest are loaded
    (enough for `version_bundle`)."""
    taken_live = (Rollout.objects.filter(state__in=IN_FLIGHT)
                  .order_by("-created_at", "-id").values_list("version_id", flat=True).first())
    if taken_live is not None:
        return Version.objects.only("id", "digest").get(id=taken_live)
    if anything_live:
        return None
    return (Version.objects.filter(valid=True).only("id", "digest")
            .order_by("-created_at", "-id").first())
