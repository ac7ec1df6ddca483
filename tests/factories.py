"""Factories: build test data in code, never from fixture files (STYLE.md rule 8)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from rollout.domain.bundle import read_bundle_path
from rollout.models import Version
from rollout.services.versions import version_create

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EAST_COAST = EXAMPLES / "east-coast"


def east_coast_files(**replacements: tuple[str, str]) -> dict[str, bytes]:
    """The east-coast example's files, with optional edits: file=(old text, new text).

    File names are given without the `.yaml` suffix (network=..., routing=...).
    """
    files = read_bundle_path(EAST_COAST)
    for stem, (old, new) in replacements.items():
        name = f"{stem}.yaml"
        text = files[name].decode()
        assert text.count(old) == 1, f"{old!r} must occur exactly once in {name}"
        files[name] = text.replace(old, new).encode()
    return files


def user_factory(username: str = "planner", **fields: object) -> User:
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username, defaults=fields)
    return user


def version_factory(message: str = "test version", **replacements: tuple[str, str]) -> Version:
    return version_create(files=east_coast_files(**replacements), message=message).version
