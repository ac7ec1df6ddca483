"""The sweep's logging: one DEBUG line when it sent nothing again, INFO when it did; Celery's
own per-run lines about it are dropped, those of other tasks kept."""

from __future__ import annotations

import logging

import pytest
from celery.app import trace

from rollout import tasks

pytestmark = pytest.mark.django_db


def test_sweep__nothing_due__one_debug_line(caplog: pytest.LogCaptureFixture) -> None:
    # Given nothing due
    # When the sweep runs
    with caplog.at_level(logging.DEBUG, logger="rollout.tasks"):
        tasks.sweep()

    # Then it logged one line, at DEBUG
    mine = [r for r in caplog.records if r.name == "rollout.tasks"]
    assert [(r.levelno, r.getMessage()) for r in mine] == [
        (logging.DEBUG, "rollout.sweep due=- webhooks=- simulations=-")]


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
