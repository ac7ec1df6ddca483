"""A gate failure rolls the rollout back on its own: observed KPIs judged by the worker."""

from __future__ import annotations

import pytest

from rollout.domain.lifecycle import PhaseState, State
from rollout.models import Activation, GateResult, RolloutEvent
from rollout.services.kpis import kpi_observation_record
from rollout.services.rollouts import GatePlan
from tests.integration.helpers import CeleryWorker, wait_for
from tests.integration.scenario import (
    activations_by_region,
    baseline_live,
    east_coast_versions,
    live_versions,
    people,
    phase_states,
    rollout_if_finished,
    rollout_started,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_rollout_gate__observed_kpi_regresses_during_bake__rolled_back_by_the_worker(
        worker: CeleryWorker) -> None:
    # Given the east coast live on a baseline (NE simulated at 100 % in-region), and a rollout
    # of the next version gated at 2 % in-region regression, rolling back on failure
    baseline, new = east_coast_versions()
    baseline_live(baseline)
    rollout = rollout_started(people(), new, bake_minutes=0.05,
                              gates=(GatePlan(kpi="in_region_pct", max_regression_pct=2.0),))
    wait_for(lambda: rollout.phases.filter(index=0, state=PhaseState.BAKING).exists(),
             timeout=30, what="phase 1 to bake", worker=worker)

    # When another system reports NE at 80 % in-region during the bake
    kpi_observation_record(region="NE", values={"in_region_pct": 80.0},
                           source_system="integration-test")

    # Then the worker judges the gate on the observation and rolls back on its own
    rollout = wait_for(lambda: rollout_if_finished(rollout.id), timeout=60,
                       what="the rollout to leave running", worker=worker)
    assert rollout.state == State.ROLLED_BACK, worker.tail()
    assert "gate failed in phase 1" in rollout.rollback_reason
    [result] = GateResult.objects.filter(phase__rollout=rollout)
    assert (result.region, result.kpi, result.source, result.passed) == \
        ("NE", "in_region_pct", "observed", False)
    assert (result.before, result.after) == (100.0, 80.0)
    assert result.regression_pct == pytest.approx(20.0)
    # And NE is back on the baseline; MA and SE never left it
    assert activations_by_region(rollout, Activation.Kind.ACTIVATE) == {"NE": 1}
    assert activations_by_region(rollout, Activation.Kind.ROLLBACK) == {"NE": 1}
    assert set(live_versions().values()) == {baseline.id}
    assert phase_states(rollout) == [PhaseState.ROLLED_BACK, PhaseState.SKIPPED,
                                     PhaseState.SKIPPED]
    assert [e.kind for e in RolloutEvent.objects.filter(rollout=rollout).order_by("at", "id")
            ][-2:] == ["gates_failed", "rolled_back"]
