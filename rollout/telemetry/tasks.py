"""Celery task metrics, counted in the worker process that runs the task (Celery's task
signals), into the multiprocess directory when PROMETHEUS_MULTIPROC_DIR is set, so the web
tier's /metrics on the same machine reports them too.

`tasks_connect()` is called once by the Celery app (regions_config/celery.py)."""

from __future__ import annotations

import contextvars
import os
import time
from typing import Any

from celery import signals
from prometheus_client import Counter, Histogram

from rollout.telemetry.logs import log_context_enter, log_context_exit

TASKS = Counter("rrm_celery_tasks", "Celery tasks run by the workers, by task name and outcome",
                ["task", "outcome"])
TASK_DURATION = Histogram("rrm_celery_task_duration_seconds",
                          "Time a worker spent on a task, by task name", ["task"],
                          buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                                   300.0))

_started: dict[str, float] = {}  # task id -> perf_counter at its start (this process only)
_contexts: dict[str, contextvars.Token[Any]] = {}  # task id -> its log context's token
_connected = False


def _name(sender: Any) -> str:
    return str(getattr(sender, "name", None) or "unknown")


def _prerun(sender: Any = None, task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()
        _contexts[task_id] = log_context_enter(task=_name(sender), task_id=task_id)


def _postrun(sender: Any = None, task_id: str | None = None, state: str | None = None,
             **_: Any) -> None:
    token = _contexts.pop(task_id, None) if task_id else None
    if token is not None:
        log_context_exit(token)
    began = _started.pop(task_id, None) if task_id else None
    if began is not None:
        TASK_DURATION.labels(_name(sender)).observe(time.perf_counter() - began)


def _success(sender: Any = None, **_: Any) -> None:
    TASKS.labels(_name(sender), "success").inc()


def _failure(sender: Any = None, **_: Any) -> None:
    TASKS.labels(_name(sender), "failure").inc()


def _retry(sender: Any = None, **_: Any) -> None:
    TASKS.labels(_name(sender), "retry").inc()


def _process_shutdown(**_: Any) -> None:
    """A pool process that exits takes its live gauges with it (counters stay summed)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


def tasks_connect() -> None:
    """Connect the handlers to Celery's task signals (once per process)."""
    global _connected
    if _connected:
        return
    signals.task_prerun.connect(_prerun, weak=False)
    signals.task_postrun.connect(_postrun, weak=False)
    signals.task_success.connect(_success, weak=False)
    signals.task_failure.connect(_failure, weak=False)
    signals.task_retry.connect(_retry, weak=False)
    signals.worker_process_shutdown.connect(_process_shutdown, weak=False)
    _connected = True
