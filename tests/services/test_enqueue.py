"""Services enqueue Celery tasks by name (rollout/services/enqueue.py): the message a worker
gets, eager mode, and no service importing rollout.tasks."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery import Celery
from celery._state import get_current_app

import rollout.services
from regions_config.celery import app
from rollout.services import simulations
from rollout.services.enqueue import (
    GIT_MIRROR_SYNC,
    ROLLOUT_ADVANCE,
    SIMULATION_JOB_RUN,
    WEBHOOK_DELIVER,
    task_send,
)
from tests.conftest import SentTask


@pytest.fixture
def eager() -> Iterator[None]:
    # The app reads Django's settings under the CELERY_ namespace: these are its keys.
    saved = app.conf.get("CELERY_TASK_ALWAYS_EAGER")
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)
    assert app.conf.task_always_eager
    yield
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=saved)


def test_task_send__with_eta__sent_by_name_with_its_args_and_eta(
        sent_tasks: list[SentTask]) -> None:
    # When a service asks for a rollout's next step at a given time
    at = datetime(2030, 1, 1, tzinfo=UTC)
    task_send(name=ROLLOUT_ADVANCE, args=(12,), eta=at)
    task_send(name=WEBHOOK_DELIVER, args=(5,))

    # Then the broker gets the tasks by name, each with its arguments and time
    assert sent_tasks == [SentTask("rollout.advance", (12,), at),
                          SentTask("rollout.deliver_webhook", (5,), None)]


def test_task_names__every_name__a_task_the_workers_run() -> None:
    import rollout.tasks  # noqa: F401  (a worker imports it: CELERY_IMPORTS)

    assert {ROLLOUT_ADVANCE, SIMULATION_JOB_RUN, WEBHOOK_DELIVER, GIT_MIRROR_SYNC} <= set(app.tasks)
    assert app.conf.task_routes[WEBHOOK_DELIVER] == {"queue": "webhooks"}


def test_task_send__eager_mode__the_task_runs_here_and_nothing_is_sent(
        eager: None, sent_tasks: list[SentTask], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given eager mode (CELERY_TASK_ALWAYS_EAGER, as `make run` debugging and tests use it)
    ran: list[int] = []
    monkeypatch.setattr(simulations, "simulation_job_run",
                        lambda *, job_id: ran.append(job_id))

    # When a simulation job is enqueued
    task_send(name=SIMULATION_JOB_RUN, args=(7,))

    # Then the task ran in this process, through the service, and no message left
    assert ran == [7]
    assert sent_tasks == []


def test_git_mirror_enqueue__another_current_app__sent_through_the_projects_app(
        sent_tasks: list[SentTask], monkeypatch: pytest.MonkeyPatch) -> None:
    """Celery's current app in a process that never imported regions_config.celery (a web or
    command process) is a default app with a default broker: the mirror's task goes through
    task_send, hence the project's app and broker, like every other task."""
    from rollout.services import live

    # Given another app current, as in such a process (recording, so nothing leaves)
    stray: list[object] = []
    other = Celery("not-the-project")
    monkeypatch.setattr(other, "send_task", lambda *args, **kwargs: stray.append(args))
    previous = get_current_app()
    other.set_current()
    try:
        # When a committed change asks for the mirror
        live._mirror_to_git()
    finally:
        previous.set_current()

    # Then the project's app sent it
    assert stray == []
    assert sent_tasks == [SentTask("rollout.git_mirror_sync", ())]


def test_services__imports__none_of_rollout_tasks() -> None:
    """Tasks call services; services enqueue by name (STYLE rule 15), so no circle."""
    offenders = []
    for path in Path(rollout.services.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{alias.name}" for alias in node.names] + [
                    node.module or ""]
            else:
                continue
            if any(name == "rollout.tasks" or name.startswith("rollout.tasks.")
                   for name in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
