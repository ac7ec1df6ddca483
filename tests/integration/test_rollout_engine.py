"""The rollout engine driven by a real Celery worker and its beat, on PostgreSQL and a broker.

DESIGN section 6: the database is the source of truth; a killed worker or a broker outage
delays a phase but never skips, repeats or loses one.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from rollout.domain.lifecycle import PhaseState, State
from rollout.models import Activation, GateResult, KpiSnapshot, Rollout, RolloutEvent
from tests.integration.helpers import (
    CeleryWorker,
    broker_controllable,
    broker_purge,
    or_skip,
    postgres_controllable,
    rabbitmq_controllable,
    wait_for,
    worker_database_url,
)
from tests.integration.scenario import (
    REGIONS,
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

RUN_SECONDS = 60.0  # three phases of ~2 s bake each, with room for a slow machine
DATABASE_DOWN_SECONDS = 3.0  # the server is shared: a short outage


def _finished(rollout: Rollout, worker: CeleryWorker, timeout: float = RUN_SECONDS) -> Rollout:
    return wait_for(lambda: rollout_if_finished(rollout.id), timeout=timeout,
                    what=f"rollout {rollout.id} to finish", worker=worker)


def _baking(rollout: Rollout, index: int, worker: CeleryWorker) -> None:
    wait_for(lambda: rollout.phases.filter(index=index, state=PhaseState.BAKING).exists(),
             timeout=30, what=f"phase {index + 1} of rollout {rollout.id} to bake", worker=worker)


def _first_phase_baking(worker: CeleryWorker) -> Rollout:
    """The east coast live on a baseline, and a rollout of the next version (three phases of
    3 s bake) started, its first phase baking."""
    baseline, new = east_coast_versions()
    baseline_live(baseline)
    rollout = rollout_started(people(), new, bake_minutes=0.05)
    _baking(rollout, 0, worker)
    return rollout


def _assert_completed_once_each(rollout: Rollout, worker: CeleryWorker) -> None:
    """Completed; each region activated exactly once, phase after phase; gates judged."""
    assert rollout.state == State.COMPLETED, (rollout.state, worker.tail())
    assert activations_by_region(rollout, Activation.Kind.ACTIVATE) == {r: 1 for r in REGIONS}
    assert not activations_by_region(rollout, Activation.Kind.ROLLBACK)
    phases = list(rollout.phases.order_by("index"))
    assert [p.state for p in phases] == [PhaseState.PASSED] * 3
    for earlier, later in itertools.pairwise(phases):
        assert earlier.activated_at and later.activated_at and earlier.bake_until
        # The next phase goes live only after the previous one baked and passed.
        assert earlier.bake_until <= later.activated_at
        assert earlier.finished_at is not None and earlier.finished_at <= later.activated_at
    order = list(Activation.objects.filter(rollout=rollout).order_by("id")
                 .values_list("region", flat=True))
    assert order == ["NE", "MA", "SE"]
    for phase in phases:
        results = list(GateResult.objects.filter(phase=phase))
        assert [(g.region, g.kpi, g.passed) for g in results] == \
            [(phase.regions[0], "in_region_pct", True)]
        assert results[0].source == "simulation" and results[0].regression_pct == 0.0
    for kind in (KpiSnapshot.Kind.BEFORE, KpiSnapshot.Kind.AFTER):
        assert set(KpiSnapshot.objects.filter(kind=kind).values_list("region", flat=True)) == \
            set(REGIONS)
    assert RolloutEvent.objects.filter(rollout=rollout, kind="completed").count() == 1
    assert set(live_versions().values()) == {rollout.version_id}


def test_rollout__three_phases_on_a_real_worker__completes_each_region_once(
        worker: CeleryWorker) -> None:
    # Given the east coast live on a baseline version, and a rollout of the next version in
    # three phases (NE, MA, SE) with a gate, approved by a second person
    baseline, new = east_coast_versions()
    baseline_live(baseline)
    rollout = rollout_started(people(), new)

    # When the operator has started it: only the worker and its beat move it on
    rollout = _finished(rollout, worker)

    # Then it completed, phase after phase, each region activated exactly once
    _assert_completed_once_each(rollout, worker)


def test_rollout__worker_killed_mid_bake__completes_each_region_once(
        worker: CeleryWorker) -> None:
    # Given a running rollout whose first phase is baking (the worker holds its ETA message)
    rollout = _first_phase_baking(worker)

    # When the worker and its beat are SIGKILLed, stay dead past the bake, then restart
    worker.kill()
    time.sleep(3.5)
    assert rollout.phases.get(index=1).state == PhaseState.PENDING  # nobody advanced it
    worker.start()

    # Then the new worker's sweep picks the rollout up: nothing repeated, nothing skipped
    rollout = _finished(rollout, worker)
    _assert_completed_once_each(rollout, worker)


def test_rollout__broker_down_mid_bake__resumes_and_completes_each_region_once(
        worker: CeleryWorker) -> None:
    broker = or_skip(broker_controllable(os.environ["CELERY_BROKER_URL"]))
    # Given a running rollout whose first phase is baking
    rollout = _first_phase_baking(worker)

    # When the broker goes away (Redis: its queued messages with it; RabbitMQ: every connection
    # cut) for longer than the bake
    broker.stop()
    try:
        time.sleep(6)
        phases_during_outage = phase_states(rollout)
    finally:
        broker.start()

    # Then nothing went past the phase that was baking while the broker was down, and once it
    # is back the rollout resumes and completes, each region activated exactly once
    assert phases_during_outage[1:] == [PhaseState.PENDING] * 2, phases_during_outage
    rollout = _finished(rollout, worker, timeout=90)
    _assert_completed_once_each(rollout, worker)


def test_rollout__database_restarted_mid_rollout__completes_each_region_once(
        worker: CeleryWorker) -> None:
    postgres = or_skip(postgres_controllable(os.environ["DATABASE_URL"]))
    # Given a running rollout whose first phase is baking, about to end its bake
    rollout = _first_phase_baking(worker)
    bake_until = rollout.phases.get(index=0).bake_until
    assert bake_until is not None
    time.sleep(max(0.0, (bake_until - timezone.now()).total_seconds() - 1.0))

    # When PostgreSQL goes down (fast shutdown: every connection of the worker, its beat and
    # this test is cut) for a few seconds in which the gates fall due and the next phase would
    # start: the due advance and the sweeps meanwhile fail on a refused connection
    down = postgres.outage(seconds=DATABASE_DOWN_SECONDS)
    connection.close()  # this process's connection died with the server too
    assert down >= DATABASE_DOWN_SECONDS

    # Then the worker survives it, and the rollout completes, each region activated once
    rollout = _finished(rollout, worker, timeout=90)
    _assert_completed_once_each(rollout, worker)
    assert worker.alive and worker.starts == 1
    assert "OperationalError" in worker.log()  # the outage did hit the worker's tasks


def test_rollout__bakes_longer_than_rabbitmqs_ack_timeout__completes_without_lost_channels(
        transactional_db: None, tmp_path: Path) -> None:
    broker_url = os.environ["CELERY_BROKER_URL"]
    rabbitmq = or_skip(rabbitmq_controllable(broker_url))
    # Given a RabbitMQ that closes the channel of a consumer holding a delivery unacknowledged
    # for more than 3 s (its default is 30 min: shorter than many bakes), and a worker on it
    # that sends no ETA message for a step due more than 1 s ahead (the default is 5 min)
    with rabbitmq.short_ack_timeout(seconds=3):
        broker_purge(broker_url)
        worker = CeleryWorker(env={"DATABASE_URL": worker_database_url(),
                                   "CELERY_BROKER_URL": broker_url, "RRM_SWEEP_SECONDS": "1",
                                   "RRM_ETA_MAX_SECONDS": "1", "RRM_VAR_DIR": str(tmp_path)},
                              log_dir=tmp_path)
        worker.start()
        try:
            # When a rollout bakes each phase 6 s, twice the broker's timeout
            baseline, new = east_coast_versions()
            baseline_live(baseline)
            rollout = rollout_started(people(), new, bake_minutes=0.1)
            rollout = _finished(rollout, worker)
        finally:
            worker.stop()

    # Then it completed, each region once, and the broker never had to take a delivery back
    _assert_completed_once_each(rollout, worker)
    assert "PRECONDITION_FAILED" not in worker.log(), worker.tail()
