"""`manage.py demo`: loads the three versions with the right parents, and a rerun is a no-op."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from rollout.demo import demo_bundles
from rollout.domain.bundle import read_bundle_path
from rollout.models import Version

pytestmark = pytest.mark.django_db


def _run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_demo__first_run__three_new_versions_chained_national_ne_ma_all_eight() -> None:
    # Given an empty database
    # When
    lines = _run()

    # Then
    assert [line.split(":")[0] for line in lines] == ["national", "ne-ma", "all-eight"]
    assert all("(new; valid" in line for line in lines)
    ids = [line.split()[2] for line in lines]
    versions = [Version.objects.get(id=i) for i in ids]
    assert [v.parent_id for v in versions] == [None, ids[0], ids[1]]
    assert all(v.valid and v.error_count == 0 for v in versions)
    assert versions[0].stats["zones"] > 880


def test_demo__run_twice__same_versions_nothing_new() -> None:
    # Given the demo loaded once
    first = _run()
    count = Version.objects.count()

    # When it runs again
    second = _run()

    # Then: the same ids, reported as already present, and no new rows
    assert [line.split()[2] for line in second] == [line.split()[2] for line in first]
    assert all("already present" in line for line in second)
    assert Version.objects.count() == count == 3


def test_demo__export__writes_each_version_as_a_bundle_directory(tmp_path: Path) -> None:
    # Given / When
    lines = _run("--export", str(tmp_path))

    # Then: each directory holds the bytes stored in that version
    for line, demo in zip(lines, demo_bundles(), strict=True):
        version = Version.objects.get(id=line.split()[2])
        assert read_bundle_path(tmp_path / demo.name) == demo.files
        assert {f.name: f.content.encode() for f in version.files.all()} == demo.files
