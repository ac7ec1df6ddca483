"""Version reads: by id or unique prefix, the list and count, the valid ones to choose from,
files as imported, and the upcoming version the live pages draw zones from."""

from __future__ import annotations

import pytest

from rollout.selectors.versions import (
    VersionNotFound,
    version_choices,
    version_count,
    version_files,
    version_get,
    version_list,
    version_upcoming,
)
from tests.factories import east_coast_files, version_factory
from tests.rollout_factories import People, original_version, rerouted_version, rollout_factory

pytestmark = pytest.mark.django_db


def test_version_get__id_or_prefix__found_short_or_unknown_refused() -> None:
    version = original_version()
    assert version_get(ref=version.id) == version
    assert version_get(ref=f" {version.id[:6].upper()} ") == version
    with pytest.raises(VersionNotFound, match="at least 4"):
        version_get(ref=version.id[:3])
    with pytest.raises(VersionNotFound, match="no version"):
        version_get(ref="ffffffffff")


def test_version_list_count_and_choices__valid_and_invalid__newest_first() -> None:
    # Given two valid versions and a newer one with errors
    older, newer = original_version(), rerouted_version()
    broken = version_factory("broken", routing=("fcs: [FC-EWR4, FC-BOS7]", "fcs: [FC-NOPE]"))
    assert not broken.valid
    # When versions are listed, Then every one, newest first; the choices skip the broken one
    assert list(version_list()) == [broken, newer, older]
    assert list(version_list(limit=1, offset=1)) == [newer]
    assert version_count() == 3
    assert version_choices() == [newer, older]
    assert version_choices(limit=1) == [newer]


def test_version_files__imported_version__its_files_as_text() -> None:
    version = original_version()
    files = version_files(version=version)
    assert files == {name: raw.decode() for name, raw in east_coast_files().items()}


def test_version_upcoming__nothing_live__the_newest_valid_version() -> None:
    original_version()
    newer = rerouted_version()
    assert version_upcoming(anything_live=False) == newer
    assert version_upcoming(anything_live=True) is None


def test_version_upcoming__rollout_in_flight__the_version_it_takes_live(who: People) -> None:
    taken_live = original_version()
    rerouted_version()
    rollout_factory(taken_live, who=who, state="approved")
    assert version_upcoming(anything_live=True) == taken_live
