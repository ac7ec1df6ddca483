"""KPI snapshot reads: a region's (by kind, newest first), by idempotency key, since a time,
around activations (one query), the latest observed values, and the newest id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from rollout.models import KpiSnapshot
from rollout.selectors.kpis import (
    kpi_observed_latest,
    kpi_snapshot_by_key,
    kpi_snapshot_list,
    kpi_snapshot_list_around,
    kpi_snapshot_list_since,
    kpi_snapshot_newest_id,
)
from rollout.services.kpis import kpi_observation_record, kpi_snapshot_record_simulated
from tests.rollout_factories import make_live, original_version

pytestmark = pytest.mark.django_db


def _observed(region: str, hours_ago: float, **values: float) -> KpiSnapshot:
    return kpi_observation_record(region=region, values=values,
                                  observed_at=timezone.now() - timedelta(hours=hours_ago))


def test_kpi_snapshot_list__region_and_kind__newest_first() -> None:
    # Given observations of NE and MA, and a simulated "after" of NE
    version = original_version()
    older, newer = _observed("NE", 2, trucks=4), _observed("NE", 1, trucks=5)
    _observed("MA", 1, trucks=9)
    after = kpi_snapshot_record_simulated(version=version, region="NE",
                                          kind=KpiSnapshot.Kind.AFTER)
    # When NE's snapshots are read, Then they come newest first, narrowed by kind if asked
    assert list(kpi_snapshot_list(region="NE")) == [after, newer, older]
    assert list(kpi_snapshot_list(region="NE", kind="point")) == [newer, older]
    assert kpi_snapshot_newest_id() == after.id
    assert kpi_snapshot_list_since(region="NE", since=timezone.now() - timedelta(minutes=90),
                                   limit=1000) == [after, newer]


def test_kpi_snapshot_by_key__posted_with_a_key__found_in_its_region_only() -> None:
    original_version()
    posted = kpi_observation_record(region="NE", values={"trucks": 1}, idempotency_key="k-1")
    assert kpi_snapshot_by_key(region="NE", idempotency_key="k-1") == posted
    assert kpi_snapshot_by_key(region="MA", idempotency_key="k-1") is None


def test_kpi_snapshot_newest_id__no_snapshot__none() -> None:
    assert kpi_snapshot_newest_id() is None


def test_kpi_observed_latest__several_posts__each_kpi_from_the_newest_since() -> None:
    # Given NE observed three times, the first before `since`
    original_version()
    _observed("NE", 5, trucks=1, fill_pct=50.0)
    _observed("NE", 2, trucks=4, in_region_pct=90.0)
    _observed("NE", 1, trucks=5)
    # When the latest values since three hours ago are read
    latest = kpi_observed_latest(region="NE", since=timezone.now() - timedelta(hours=3))
    # Then each KPI has its newest value, and nothing older than `since` counts
    assert latest == {"trucks": 5, "in_region_pct": 90.0}


def test_kpi_snapshot_list_around__activations_outside_rollouts__their_afters_in_one_query(
        django_assert_num_queries: Any) -> None:
    # Given NE and MA live on a version, with simulated "after" snapshots of both
    version = original_version()
    activations = make_live(version, ["NE", "MA"])
    afters = [kpi_snapshot_record_simulated(version=version, region=r,
                                            kind=KpiSnapshot.Kind.AFTER) for r in ("NE", "MA")]
    _observed("NE", 0, trucks=3)  # a point observation belongs to no activation
    # When the snapshots around the activations are read, Then one query finds both "after"s
    with django_assert_num_queries(1):
        found = kpi_snapshot_list_around(activations=activations)
    assert set(found) == set(afters)
