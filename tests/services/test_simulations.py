"""rollout.services.simulations: who may ask, what is answered at once and what becomes a
worker's job, identical requests sharing a job, and a job's run (repeatable, restartable)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone
from pytest_django.fixtures import Settings

from rollout.domain.demand import DemandError
from rollout.domain.schema import Demand
from rollout.models import SimulationJob, SimulationRun
from rollout.services.kpis import SimulationRefused
from rollout.services.roles import RoleRequired
from rollout.services.simulations import (
    MAX_ACTIVE_PER_USER,
    MAX_ATTEMPTS,
    STALE_AFTER,
    SimulationJobLimit,
    simulation_compare,
    simulation_job_create,
    simulation_job_run,
    simulation_request,
)
from tests.conftest import SentTask
from tests.factories import version_factory
from tests.rollout_factories import People, original_version, rerouted_version

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def test_simulation_request__small__answered_at_once(who: People) -> None:
    version = original_version()

    answer = simulation_request(version=version, actor=who.viewer)

    assert answer.job is None
    assert answer.result == simulation_compare(version=version)


def test_simulation_request__not_small_not_cached__a_job_nothing_computed_here(
        who: People, settings: Settings,
        django_capture_on_commit_callbacks: Capture) -> None:
    # Given a limit below the east-coast example's 150,000 items
    settings.RRM_SIMULATE_INLINE_ITEMS = 100_000
    version = original_version()

    # When a viewer asks for it
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        answer = simulation_request(version=version, actor=who.viewer)

    # Then it is a pending job, enqueued after the commit, and nothing was simulated here
    assert answer.result is None and answer.job is not None
    assert answer.job.state == SimulationJob.State.PENDING
    assert answer.job.requested_by == who.viewer
    assert len(enqueued) == 1
    assert not SimulationRun.objects.exists()


def test_simulation_request__big_catalogue__a_job_even_with_few_items(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    # Given a demand with few items but a catalogue of 5 million SKUs (80 MB of Zipf table)
    version = original_version()

    with django_capture_on_commit_callbacks(execute=False):
        answer = simulation_request(version=version, actor=who.viewer,
                                    demand=Demand(catalog=5_000_000))

    assert answer.job is not None and not SimulationRun.objects.exists()


def test_simulation_request__user_without_a_role__refused_nothing_stored(db: None) -> None:
    version = original_version()
    nobody = User.objects.create(username="nobody")

    with pytest.raises(RoleRequired):
        simulation_request(version=version, actor=nobody)

    assert not SimulationJob.objects.exists() and not SimulationRun.objects.exists()


def test_simulation_job_create__user_without_a_role__refused(db: None) -> None:
    with pytest.raises(RoleRequired):
        simulation_job_create(version=original_version(), actor=None)

    assert not SimulationJob.objects.exists()


def test_simulation_job_create__demand_out_of_bounds__refused_naming_it(who: People) -> None:
    # Given a demand built without the API's schema (a script, a command)
    version = original_version()

    with pytest.raises(DemandError, match=r"^demand\.items_per_order: .*at most 5,000,000"):
        simulation_job_create(version=version, actor=who.viewer,
                              demand=Demand(items_per_order=60))

    assert not SimulationJob.objects.exists()


def test_simulation_job_create__version_with_errors__refused(who: People) -> None:
    broken = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))
    assert not broken.valid

    with pytest.raises(SimulationRefused, match="error"):
        simulation_job_create(version=broken, actor=who.viewer)


def test_simulation_job_create__identical_while_active__same_job(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    version = original_version()
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        first = simulation_job_create(version=version, actor=who.viewer)
        second = simulation_job_create(version=version, actor=who.operator)

    assert first.id == second.id and len(enqueued) == 1


def test_simulation_job_create__after_the_last_one_failed__a_new_job(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    version = original_version()
    with django_capture_on_commit_callbacks(execute=False):
        failed = simulation_job_create(version=version, actor=who.viewer)
    SimulationJob.objects.filter(id=failed.id).update(state="failed", error="worker died")

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        retried = simulation_job_create(version=version, actor=who.viewer)

    assert retried.id != failed.id and len(enqueued) == 1


def test_simulation_job_create__stale_pending_job__sent_again_not_duplicated(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    # Given a job whose message was lost long ago (the broker was down)
    version = original_version()
    with django_capture_on_commit_callbacks(execute=False):
        lost = simulation_job_create(version=version, actor=who.viewer)
    SimulationJob.objects.filter(id=lost.id).update(
        created_at=timezone.now() - STALE_AFTER - timedelta(seconds=1))

    # When the same simulation is asked for again
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        again = simulation_job_create(version=version, actor=who.viewer)

    # Then it is that job, sent to the workers once more
    assert again.id == lost.id and len(enqueued) == 1
    assert SimulationJob.objects.count() == 1


def test_simulation_job__two_active_with_one_key__refused_by_the_database(who: People) -> None:
    job = simulation_job_create(version=original_version(), actor=who.viewer)

    with pytest.raises(IntegrityError), transaction.atomic():
        SimulationJob.objects.create(version=job.version, request_key=job.request_key,
                                     state=SimulationJob.State.RUNNING)


def test_simulation_job_run__pending__done_with_the_compared_result(who: People) -> None:
    new, old = rerouted_version(), original_version()
    job = simulation_job_create(version=new, baseline=old, actor=who.viewer,
                                demand=Demand(seed=11))

    ran = simulation_job_run(job_id=job.id)

    assert ran is not None and ran.state == SimulationJob.State.DONE
    assert ran.result == simulation_compare(version=new, baseline=old, demand=Demand(seed=11))
    assert ran.attempts == 1 and ran.started_at and ran.finished_at and not ran.error


def test_simulation_job_run__twice__second_run_does_nothing(who: People) -> None:
    job = simulation_job_create(version=original_version(), actor=who.viewer)
    first = simulation_job_run(job_id=job.id)
    assert first is not None
    runs = SimulationRun.objects.count()

    second = simulation_job_run(job_id=job.id)

    assert second is not None and second.state == SimulationJob.State.DONE
    assert (second.attempts, second.finished_at) == (1, first.finished_at)
    assert SimulationRun.objects.count() == runs


def test_simulation_job_run__worker_died_mid_run__started_again_and_done(who: People) -> None:
    # Given a job left running by a worker that was killed (its message comes back)
    job = simulation_job_create(version=original_version(), actor=who.viewer)
    SimulationJob.objects.filter(id=job.id).update(state="running", attempts=1)

    ran = simulation_job_run(job_id=job.id)

    assert ran is not None and (ran.state, ran.attempts) == (SimulationJob.State.DONE, 2)


def test_simulation_job_run__died_too_often__failed_saying_so(who: People) -> None:
    job = simulation_job_create(version=original_version(), actor=who.viewer)
    SimulationJob.objects.filter(id=job.id).update(state="running", attempts=MAX_ATTEMPTS)

    ran = simulation_job_run(job_id=job.id)

    assert ran is not None and ran.state == SimulationJob.State.FAILED
    assert f"stopped {MAX_ATTEMPTS} times" in ran.error
    assert not SimulationRun.objects.exists()


def test_simulation_job_run__gone__nothing(db: None) -> None:
    assert simulation_job_run(job_id=123456) is None


@pytest.mark.django_db(transaction=True)
def test_simulation_job_create__identical_at_the_same_moment__one_job(
        who: People, sent_tasks: list[SentTask]) -> None:
    """Two requests racing past the "is there an active job?" read: the partial unique
    constraint lets one insert win, and the other returns the winner's job. (These
    transactions really commit: `sent_tasks` keeps the job's message off the broker.)"""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL: DATABASE_URL=postgres://...)")
    version = original_version()
    barrier = threading.Barrier(2)
    ids: list[int] = []
    real_filter = SimulationJob.objects.filter
    first_read = threading.local()

    def racing_filter(*args: Any, **kwargs: Any) -> Any:
        found = real_filter(*args, **kwargs)
        if "request_key" in kwargs and threading.current_thread().name.startswith("racer") \
                and not getattr(first_read, "done", False):
            first_read.done = True
            list(found)  # both read "no active job" ...
            barrier.wait(timeout=10)  # ... before either inserts
        return found

    def ask() -> None:
        try:
            ids.append(simulation_job_create(version=version, actor=who.viewer).id)
        finally:
            connections.close_all()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SimulationJob.objects, "filter", racing_filter)
        racers = [threading.Thread(target=ask, name=f"racer-{i}") for i in range(2)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=30)

    assert len(ids) == 2 and ids[0] == ids[1]
    assert SimulationJob.objects.count() == 1


def test_simulation_job_create__user_at_the_bound__refused_but_may_join_an_identical_one(
        who: People) -> None:
    # Given a viewer with the most active simulation jobs allowed
    version = original_version()
    jobs = [simulation_job_create(version=version, actor=who.viewer, demand=Demand(seed=seed))
            for seed in range(MAX_ACTIVE_PER_USER)]

    # When they ask for another one, it is refused saying why, and nothing is stored
    with pytest.raises(SimulationJobLimit) as refused:
        simulation_job_create(version=version, actor=who.viewer, demand=Demand(seed=99))
    assert f"at most {MAX_ACTIVE_PER_USER}" in str(refused.value)
    assert SimulationJob.objects.count() == MAX_ACTIVE_PER_USER
    # But an identical request joins its job, and another user is not held back
    assert simulation_job_create(version=version, actor=who.viewer,
                                 demand=Demand(seed=0)).id == jobs[0].id
    assert simulation_job_create(version=version, actor=who.editor,
                                 demand=Demand(seed=99)).state == "pending"
