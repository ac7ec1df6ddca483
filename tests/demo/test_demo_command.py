"""`manage.py demo`: loads the three versions with the right parents, puts the national one
live everywhere with KPI snapshots when nothing was ever activated, and a rerun is a no-op."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from rollout.demo import demo_bundles
from rollout.domain.bundle import read_bundle_path
from rollout.models import Activation, AuditEvent, KpiSnapshot, Version
from rollout.services.live import live_state

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
    assert [line.split(":")[0] for line in lines[:3]] == ["national", "ne-ma", "all-eight"]
    assert all("(new; valid" in line for line in lines[:3])
    ids = [line.split()[2] for line in lines[:3]]
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
    assert [line.split()[2] for line in second[:3]] == [line.split()[2] for line in first[:3]]
    assert all("already present" in line for line in second[:3])
    assert second[3] == "live: unchanged (activations already recorded)"
    assert Version.objects.count() == count == 3
    assert Activation.objects.count() == 8
    assert KpiSnapshot.objects.count() == 8
    assert AuditEvent.objects.filter(action="demo.went_live").count() == 1


def test_demo__first_run__national_live_in_all_eight_regions_with_kpis() -> None:
    # Given an empty database / When
    lines = _run()

    # Then the national version is live in every region, said on the last line
    national = lines[0].split()[2]
    assert lines[-1] == (f"live: version {national} in NE, MA, SE, GL, CE, SC, MT, PC "
                         "(KPI snapshots recorded)")
    activations = list(Activation.objects.all())
    assert sorted(a.region for a in activations) == sorted(
        ["NE", "MA", "SE", "GL", "CE", "SC", "MT", "PC"])
    assert {(a.version_id, a.kind, a.actor) for a in activations} == {
        (national, Activation.Kind.ACTIVATE, None)}
    assert len(live_state().composite.zone_owner) > 880
    # with a simulated "after" snapshot per region, and the change in the audit log
    snapshots = KpiSnapshot.objects.all()
    assert {(s.kind, s.source, s.version_id) for s in snapshots} == {
        (KpiSnapshot.Kind.AFTER, KpiSnapshot.Source.SIMULATION, national)}
    assert sorted(s.region for s in snapshots) == sorted(a.region for a in activations)
    assert all(s.values["orders"] > 0 for s in snapshots)
    event = AuditEvent.objects.get(action="demo.went_live")
    assert event.object_id == national and "demo" in event.reason


def test_demo__something_already_activated__live_state_left_alone() -> None:
    # Given another network already live in one region
    from tests.rollout_factories import make_live, original_version

    make_live(original_version(), ["NE"])

    # When
    lines = _run()

    # Then the demo's versions are loaded but nothing more goes live
    assert lines[-1] == "live: unchanged (activations already recorded)"
    assert list(Activation.objects.values_list("region", flat=True)) == ["NE"]
    assert KpiSnapshot.objects.count() == 0


def test_demo__export__writes_each_version_as_a_bundle_directory(tmp_path: Path) -> None:
    # Given / When
    lines = _run("--export", str(tmp_path))

    # Then: each directory holds the bytes stored in that version
    for line, demo in zip(lines[:3], demo_bundles(), strict=True):
        version = Version.objects.get(id=line.split()[2])
        assert read_bundle_path(tmp_path / demo.name) == demo.files
        assert {f.name: f.content.encode() for f in version.files.all()} == demo.files
