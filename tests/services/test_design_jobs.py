"""rollout.services.design_jobs: who may design and save, identical requests sharing a job, the
per-user bound, a job's run (result, progress, failure), saving (once), and stale recovery."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from rollout.domain.design.frame import DesignError
from rollout.models import AuditEvent, DesignJob, Version
from rollout.selectors.designs import design_jobs_recent
from rollout.services import design_jobs
from rollout.services.design_jobs import (
    MAX_ACTIVE_PER_USER,
    STALE_AFTER,
    DesignJobLimit,
    DesignJobNotDone,
    DesignJobNotFound,
    DesignParams,
    design_job_create,
    design_job_get,
    design_job_run,
    design_job_save,
    design_jobs_stale,
)
from rollout.services.designs import region_design
from rollout.services.kpis import SimulationRefused
from rollout.services.roles import RoleRequired
from tests.conftest import SentTask
from tests.factories import version_factory
from tests.rollout_factories import People

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def created(who: People, capture: Capture, version: Version | None = None,
            **params: Any) -> DesignJob:
    """A design job created by the editor (its task not run)."""
    with capture(execute=False):
        return design_job_create(version=version or version_factory("east coast"),
                                 params=DesignParams(**{"regions": 2, **params}),
                                 actor=who.editor)


def test_design_job_create__editor__pending_sent_after_commit_and_audited(
        who: People, sent_tasks: list[SentTask],
        django_capture_on_commit_callbacks: Capture) -> None:
    # Given a version
    version = version_factory("east coast")

    # When an editor asks for a design
    with django_capture_on_commit_callbacks(execute=True):
        job = design_job_create(version=version, params=DesignParams(regions=2, sweep="1-3"),
                                actor=who.editor)

    # Then a pending job, sent to the workers once the request committed, and audited
    assert job.state == "pending" and job.progress == 0 and job.result is None
    assert job.params["sweep"] == "1-3" and job.requested_by == who.editor
    assert sent_tasks == [SentTask("rollout.design_job_run", (job.id,))]
    assert AuditEvent.objects.filter(action="design_job.created", object_id=str(job.id)).exists()


def test_design_job_create__viewer__refused_nothing_stored(who: People) -> None:
    with pytest.raises(RoleRequired):
        design_job_create(version=version_factory("east coast"),
                          params=DesignParams(regions=2), actor=who.viewer)

    assert not DesignJob.objects.exists()


@pytest.mark.parametrize(("params", "message"), [
    ({"regions": 2, "sweep": "12-4"}, "A <= B"),
    ({"regions": 2, "sweep": "1-40"}, "at most 16"),
    ({"regions": 2, "time_limit": 500}, "time limit"),
    # checked against the version's network before a job is queued, as the worker would
    ({"regions": 2, "keep": ("NOPE",)}, "--keep names unknown region(s) NOPE"),
    ({"regions": 500}, "--regions 500 leaves 500 regions to draw"),
    ({"regions": 2, "headroom": 1.5}, "--headroom must be at least 0 and below 1"),
])
def test_design_job_create__parameters_out_of_range__design_error_nothing_stored(
        who: People, params: dict[str, Any], message: str) -> None:
    with pytest.raises(DesignError) as refused:
        design_job_create(version=version_factory("east coast"),
                          params=DesignParams(**params), actor=who.editor)

    assert message in str(refused.value)
    assert not DesignJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_design_job_create__two_at_the_bound_at_the_same_moment__one_refused(
        who: People, sent_tasks: list[SentTask]) -> None:
    """Two new requests of one user with one slot left, both past the count at once: the
    lock on the user's row makes the second count again after the first stored its job. (These
    transactions commit: `sent_tasks` keeps the jobs' messages off the broker.)"""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL: DATABASE_URL=postgres://...)")
    version = version_factory("east coast")
    for k in range(1, MAX_ACTIVE_PER_USER):
        design_job_create(version=version, params=DesignParams(regions=k), actor=who.editor)
    barrier = threading.Barrier(2)
    real_filter = DesignJob.objects.filter
    outcomes: list[str] = []

    def racing_filter(*args: Any, **kwargs: Any) -> Any:
        found = real_filter(*args, **kwargs)
        if "requested_by" in kwargs and threading.current_thread().name.startswith("racer"):
            # Both count before either stores; with the lock the second cannot count until the
            # first commits, so the first's wait times out.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)
        return found

    def ask(k: int) -> None:
        try:
            design_job_create(version=version, params=DesignParams(regions=k), actor=who.editor)
            outcomes.append("created")
        except DesignJobLimit:
            outcomes.append("refused")
        finally:
            connections.close_all()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DesignJob.objects, "filter", racing_filter)
        racers = [threading.Thread(target=ask, args=(MAX_ACTIVE_PER_USER + i,),
                                   name=f"racer-{i}") for i in range(2)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=30)

    assert sorted(outcomes) == ["created", "refused"]
    assert DesignJob.objects.filter(requested_by=who.editor).count() == MAX_ACTIVE_PER_USER


def test_design_job_create__version_with_errors__refused(who: People) -> None:
    version = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    with pytest.raises(SimulationRefused):
        design_job_create(version=version, params=DesignParams(regions=2), actor=who.editor)


def test_design_job_create__identical_while_active__same_job(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    first = created(who, django_capture_on_commit_callbacks)

    again = created(who, django_capture_on_commit_callbacks, version=first.version)
    other = created(who, django_capture_on_commit_callbacks, version=first.version, regions=3)

    assert again.id == first.id != other.id


def test_design_job_create__user_at_the_bound__refused_but_may_join_an_identical_one(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    # Given an editor with the most active designs allowed
    version = version_factory("east coast")
    jobs = [created(who, django_capture_on_commit_callbacks, version=version, regions=k)
            for k in range(1, MAX_ACTIVE_PER_USER + 1)]

    # When they ask for another one, it is refused saying why
    with pytest.raises(DesignJobLimit) as refused:
        created(who, django_capture_on_commit_callbacks, version=version, regions=4)
    assert f"at most {MAX_ACTIVE_PER_USER}" in str(refused.value)
    # But asking for one they already have gives that one
    assert created(who, django_capture_on_commit_callbacks, version=version,
                   regions=1).id == jobs[0].id
    # And once one is done there is room again
    design_job_run(job_id=jobs[0].id)
    assert created(who, django_capture_on_commit_callbacks, version=version,
                   regions=4).state == "pending"


def test_design_job_run__pending__done_with_the_command_json_and_the_changed_files(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    # Given a pending design with a sweep
    job = created(who, django_capture_on_commit_callbacks, sweep="1-3", contiguous=True)

    # When a worker runs it
    done = design_job_run(job_id=job.id)

    # Then it is done: the result is the command's JSON for K = 2, with the sweep
    assert done is not None and done.state == "done" and done.error == ""
    assert done.progress == 1.0 and done.progress_text == "done"
    expected = region_design(version=job.version, regions=2, contiguous=True).as_dict()
    result = DesignJob.objects.get(id=job.id).result
    assert result is not None and result["regions"] == expected["regions"]
    assert [row["regions"] for row in result["sweep"]] == [1, 2, 3]
    # And the job keeps only the files the proposal changed
    assert done.files and set(done.files) <= {"regions.yaml", "routing.yaml"}


def test_design_job_run__progress__written_to_the_row_while_running(
        who: People, django_capture_on_commit_callbacks: Capture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a running job, and its progress seen by a reader at each report
    job = created(who, django_capture_on_commit_callbacks, sweep="1-3")
    seen: list[tuple[float, str]] = []
    writer = design_jobs._progress_writer

    def watched(job_id: int) -> Any:
        write = writer(job_id)

        def report(fraction: float, text: str) -> None:
            write(fraction, text)
            row = DesignJob.objects.get(id=job_id)
            seen.append((row.progress, row.progress_text))

        return report

    monkeypatch.setattr(design_jobs, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(design_jobs, "_progress_writer", watched)

    # When it runs
    design_job_run(job_id=job.id)

    # Then each stage was on the row as it happened, going up, with what it was doing
    texts = [text for _, text in seen]
    assert texts[0] == "simulating the base version"
    assert {"solving K=1", "solving K=2", "solving K=3", "checking K=2",
            "simulating K=2"} <= set(texts)
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] <= 1


def test_progress_writer__within_the_interval__one_write(
        who: People, django_capture_on_commit_callbacks: Capture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a running job and an interval no test outlasts
    job = created(who, django_capture_on_commit_callbacks)
    DesignJob.objects.filter(id=job.id).update(state="running")
    monkeypatch.setattr(design_jobs, "PROGRESS_EVERY", 3600.0)
    write = design_jobs._progress_writer(job.id)

    # When two reports come within it
    write(0.2, "solving K=2")
    write(0.5, "checking K=2")

    # Then only the first reached the row
    row = DesignJob.objects.get(id=job.id)
    assert (row.progress, row.progress_text) == (0.2, "solving K=2")
    assert row.progress_at is not None


def test_design_job_create__k_the_network_cannot_have__refused_saying_why(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    with pytest.raises(DesignError) as refused:
        created(who, django_capture_on_commit_callbacks, regions=9)

    assert "fulfilment centre" in str(refused.value)
    assert not DesignJob.objects.exists()


def test_design_job_run__design_error__failed_saying_why(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    # Given a job whose parameters the design refuses (stored before the checks at creation)
    job = created(who, django_capture_on_commit_callbacks)
    DesignJob.objects.filter(id=job.id).update(params={**job.params, "regions": 9})

    failed = design_job_run(job_id=job.id)

    assert failed is not None and failed.state == "failed"
    assert "fulfilment centre" in failed.error and failed.result is None


def test_design_job_run__result_over_the_bound__failed_saying_so(
        who: People, django_capture_on_commit_callbacks: Capture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(design_jobs, "MAX_RESULT_BYTES", 100)
    job = created(who, django_capture_on_commit_callbacks)

    failed = design_job_run(job_id=job.id)

    assert failed is not None and failed.state == "failed"
    assert "over the 100 kept" in failed.error


def test_design_job_run__twice__second_run_does_nothing(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    job = created(who, django_capture_on_commit_callbacks)
    design_job_run(job_id=job.id)
    finished_at = DesignJob.objects.get(id=job.id).finished_at

    again = design_job_run(job_id=job.id)

    assert again is not None and again.state == "done" and again.attempts == 1
    assert again.finished_at == finished_at


def test_design_job_save__done__a_valid_child_version_and_again_the_same(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    # Given a done design
    job = created(who, django_capture_on_commit_callbacks, contiguous=True)
    design_job_run(job_id=job.id)

    # When an editor saves it, twice
    version = design_job_save(job_id=job.id, message="Two regions", actor=who.editor)
    again = design_job_save(job_id=job.id, message="Once more", actor=who.editor)

    # Then one new valid version, child of the designed one, whose regions are the proposal's
    assert again.id == version.id and version.valid and version.parent_id == job.version_id
    assert version.message == "Two regions"
    assert DesignJob.objects.get(id=job.id).saved_version_id == version.id
    result = DesignJob.objects.get(id=job.id).result
    assert result is not None
    proposal = region_design(version=version, regions=2, contiguous=True).as_dict()
    assert proposal["kpis"]["base"] == result["kpis"]["proposal"]
    assert AuditEvent.objects.filter(action="design_job.saved",
                                     object_id=str(job.id)).count() == 1


def test_design_job_save__not_done__refused(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    job = created(who, django_capture_on_commit_callbacks)

    with pytest.raises(DesignJobNotDone) as refused:
        design_job_save(job_id=job.id, message="too early", actor=who.editor)

    assert "pending" in str(refused.value)


def test_design_job_save__viewer__refused(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    job = created(who, django_capture_on_commit_callbacks)
    design_job_run(job_id=job.id)

    with pytest.raises(RoleRequired):
        design_job_save(job_id=job.id, message="no", actor=who.viewer)

    assert DesignJob.objects.get(id=job.id).saved_version is None


def test_design_job_get__any_role__reads_unknown_not_found(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    job = created(who, django_capture_on_commit_callbacks)

    assert design_job_get(job_id=job.id, actor=who.viewer).id == job.id
    with pytest.raises(DesignJobNotFound):
        design_job_get(job_id=job.id + 1000, actor=who.viewer)


def test_design_jobs_stale__silent_long__listed_recent_progress__not(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    # Given a job started long ago that still reports progress, and one silent as long
    long_ago = timezone.now() - STALE_AFTER - timedelta(seconds=1)
    version = version_factory("east coast")
    alive = created(who, django_capture_on_commit_callbacks, version=version, regions=1)
    silent = created(who, django_capture_on_commit_callbacks, version=version, regions=2)
    DesignJob.objects.filter(id__in=[alive.id, silent.id]).update(
        state="running", created_at=long_ago, started_at=long_ago)
    DesignJob.objects.filter(id=alive.id).update(progress_at=timezone.now())

    # When / Then only the silent one is stale
    assert design_jobs_stale() == [silent.id]


def test_design_jobs_recent__a_users_jobs__newest_first(
        who: People, django_capture_on_commit_callbacks: Capture) -> None:
    version = version_factory("east coast")
    first = created(who, django_capture_on_commit_callbacks, version=version, regions=1)
    second = created(who, django_capture_on_commit_callbacks, version=version, regions=2)

    assert [job.id for job in design_jobs_recent(user=who.editor)] == [second.id, first.id]
    assert design_jobs_recent(user=who.viewer) == []


def test_design_params__as_dict__json_and_back() -> None:
    params = DesignParams(regions=8, sweep="4-12", keep=("NE", "MA"), balance=1.5)

    assert DesignParams.of(json.loads(json.dumps(params.as_dict()))) == params
