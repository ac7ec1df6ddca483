"""The periodic sweep (rollout/tasks.py): what it sends again (due rollouts, stale simulation
and design jobs), and its logging: one DEBUG line when it sent nothing again, INFO when it did;
Celery's own per-run lines about it are dropped, those of other tasks kept."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from celery.app import trace
from django.utils import timezone

from rollout import tasks
from rollout.domain.schema import Demand
from rollout.models import DesignJob, SimulationJob
from rollout.services import engine
from rollout.services.design_jobs import STALE_AFTER as DESIGN_STALE_AFTER
from rollout.services.design_jobs import DesignParams, design_job_create
from rollout.services.simulations import STALE_AFTER, simulation_job_create
from tests.conftest import SentTask
from tests.rollout_factories import (
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db


def test_sweep__running_rollouts_due__re_enqueued(who: People,
                                                 sent_tasks: list[SentTask]) -> None:
    # Given a running rollout whose next step is due now (next_step_at = its start)
    make_live(original_version())
    due = rollout_factory(rerouted_version(), ["NE"], ["SE"], who=who, state="running")

    # When the sweep runs
    count = tasks.sweep()

    # Then the rollout is sent to the workers again
    assert count == 1
    assert sent_tasks == [SentTask("rollout.advance", (due.id,))]


def test_rollouts_due__more_than_the_bound__longest_overdue_first(who: People) -> None:
    # Given three running rollouts, due ten, five and one minute ago, and one not yet due
    make_live(original_version())
    version = rerouted_version()
    rollouts = [rollout_factory(version, ["NE"], who=who, state="running") for _ in range(4)]
    now = timezone.now()
    for rollout, minutes in zip(rollouts, (5, 10, 1, -3), strict=True):
        rollout.next_step_at = now - timedelta(minutes=minutes)
        rollout.save(update_fields=["next_step_at"])

    # Then a sweep bounded to two sends the two longest overdue
    assert engine.rollouts_due(now=now, limit=2) == [rollouts[1].id, rollouts[0].id]
    assert engine.rollouts_due(now=now) == [rollouts[1].id, rollouts[0].id, rollouts[2].id]


def test_sweep__job_nobody_worked_on_for_a_while__sent_again(
        who: People, sent_tasks: list[SentTask]) -> None:
    # Given a job whose message was lost, one a killed worker left running, and a fresh one
    version = original_version()
    lost = simulation_job_create(version=version, actor=who.viewer)
    dead = simulation_job_create(version=version, actor=who.viewer, demand=Demand(seed=1))
    fresh = simulation_job_create(version=version, actor=who.viewer, demand=Demand(seed=2))
    long_ago = timezone.now() - STALE_AFTER - timedelta(seconds=1)
    SimulationJob.objects.filter(id=lost.id).update(created_at=long_ago)
    SimulationJob.objects.filter(id=dead.id).update(state="running", started_at=long_ago)

    # When the periodic sweep runs
    tasks.sweep()

    # Then the two stale jobs are sent to the workers again, the fresh one is left alone
    sent = [t.args[0] for t in sent_tasks if t.name == "rollout.simulate_job"]
    assert sorted(sent) == [lost.id, dead.id] and fresh.id not in sent


def test_sweep__design_job_silent_for_a_while__sent_again(
        who: People, sent_tasks: list[SentTask]) -> None:
    # Given a design job a killed worker left running, silent since, and a fresh one
    version = original_version()
    dead = design_job_create(version=version, params=DesignParams(regions=2), actor=who.editor)
    fresh = design_job_create(version=version, params=DesignParams(regions=3), actor=who.editor)
    long_ago = timezone.now() - DESIGN_STALE_AFTER - timedelta(seconds=1)
    DesignJob.objects.filter(id=dead.id).update(state="running", created_at=long_ago,
                                                started_at=long_ago, progress_at=long_ago)

    # When the periodic sweep runs
    tasks.sweep()

    # Then the silent one is sent to the workers again, the fresh one is left alone
    sent = [t.args[0] for t in sent_tasks if t.name == "rollout.design_job_run"]
    assert dead.id in sent and fresh.id not in sent


def test_sweep__nothing_due__one_debug_line(caplog: pytest.LogCaptureFixture) -> None:
    # Given nothing due
    # When the sweep runs
    with caplog.at_level(logging.DEBUG, logger="rollout.tasks"):
        tasks.sweep()

    # Then it logged one line, at DEBUG
    mine = [r for r in caplog.records if r.name == "rollout.tasks"]
    assert [(r.levelno, r.getMessage()) for r in mine] == [
        (logging.DEBUG, "rollout.sweep due=- webhooks=- simulations=- designs=-")]


@pytest.mark.parametrize(("logger", "message", "args", "kept"), [
    ("celery.app.trace", trace.LOG_SUCCESS,
     {"id": "1", "name": "rollout.sweep", "return_value": 0, "runtime": 0.01}, False),
    ("celery.worker.strategy", trace.LOG_RECEIVED,
     {"id": "1", "name": "rollout.sweep", "args": "()", "kwargs": "{}"}, False),
    ("celery.beat", "Scheduler: Sending due task %s (%s)",
     ("rollout-sweep", "rollout.sweep"), False),
    ("celery.app.trace", trace.LOG_SUCCESS,
     {"id": "2", "name": "rollout.advance", "return_value": "x", "runtime": 0.01}, True),
    ("celery.beat", "Scheduler: Sending due task %s (%s)", ("other", "other.task"), True),
])
def test_sweep_log_filter__celery_lines__only_the_sweeps_dropped(
        caplog: pytest.LogCaptureFixture, logger: str, message: str, args: object,
        kept: bool) -> None:
    # Given Celery's loggers as the worker uses them
    # When a line is logged about a task
    with caplog.at_level(logging.INFO, logger=logger):
        if isinstance(args, tuple):
            logging.getLogger(logger).info(message, *args)
        else:
            logging.getLogger(logger).info(message, args)

    # Then only the sweep's are gone
    assert bool([r for r in caplog.records if r.name == logger]) is kept


def test_sweep__database_not_migrated__one_warning_and_nothing_sent(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a worker whose database has no tables yet (a fresh clone before migrate)
    from django.db import connection

    monkeypatch.setattr(engine, "_tables_found", False)
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])

    # When the sweep runs
    with caplog.at_level(logging.WARNING, logger="rollout.tasks"):
        sent = tasks.sweep()

    # Then it says what to do, in one line, and sends nothing
    assert sent == 0
    assert [r.getMessage() for r in caplog.records if r.name == "rollout.tasks"] == [
        "rollout.sweep skipped: the database has no tables yet (run `python manage.py migrate`)"]
