"""Celery task metrics (rollout/telemetry/tasks.py): counted by the task signals of the
process that runs the task, by task name and outcome, with its duration."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from regions_config.celery import app

pytestmark = pytest.mark.django_db


@app.task(name="tests.telemetry.probe")
def probe(fail: bool) -> str:
    if fail:
        raise RuntimeError("probe failed")
    return "ok"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_task_signals__success_and_failure__counted_by_outcome_with_duration() -> None:
    # Given the counts so far (the Celery app connected the handlers when it was loaded)
    labels = {"task": "tests.telemetry.probe"}
    before = (value("rrm_celery_tasks_total", **labels, outcome="success"),
              value("rrm_celery_tasks_total", **labels, outcome="failure"),
              value("rrm_celery_task_duration_seconds_count", **labels))

    # When the task runs twice and fails once, as a worker runs it
    probe.apply(args=(False,))
    probe.apply(args=(False,))
    probe.apply(args=(True,))

    # Then two successes, one failure, three durations
    after = (value("rrm_celery_tasks_total", **labels, outcome="success"),
             value("rrm_celery_tasks_total", **labels, outcome="failure"),
             value("rrm_celery_task_duration_seconds_count", **labels))
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 3]
