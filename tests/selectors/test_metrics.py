"""selectors/metrics.py: the business metrics read in a bounded number of queries, whatever the
history's length, with the newest KPI snapshot of each region and source."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rollout.selectors.metrics import metrics_business
from rollout.services.activations import region_rollback
from rollout.services.kpis import kpi_observation_record
from tests.rollout_factories import People, make_live, original_version, rerouted_version

pytestmark = pytest.mark.django_db


def test_metrics_business__long_history__twelve_queries(
        who: People, django_assert_max_num_queries: object) -> None:
    # Given a history of 30 region rollbacks and 20 observations
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    for i in range(30):
        region_rollback(region="NE", version=(rerouted, original)[i % 2], reason="flip",
                        actor=who.operator)
    for i in range(20):
        kpi_observation_record(region="MA", values={"trucks": float(i)})

    # When read; Then twelve queries, whatever the number of rows
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        data = metrics_business()
    assert data.rollbacks["region"] == 30 and data.activations["region_rollback"] == 30


def test_metrics_business__observations_out_of_order__the_newest_taken_wins() -> None:
    # Given an observation posted late for an earlier instant, and one for now
    make_live(original_version())
    now = timezone.now()
    kpi_observation_record(region="MA", values={"trucks": 2.0}, observed_at=now)
    kpi_observation_record(region="MA", values={"trucks": 1.0},
                           observed_at=now - timedelta(hours=1))

    # When read; Then the value taken most recently
    kpis = metrics_business().kpis
    assert [k for k in kpis if k[0] == "MA" and k[2] == "observed"] == [
        ("MA", "trucks", "observed", 2.0)]
