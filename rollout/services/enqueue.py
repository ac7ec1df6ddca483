"""Sending Celery tasks by name (STYLE.md rule 15): services enqueue work through here and never
import `rollout.tasks`, which imports the services (tasks call services, not the other way).

The names below are the tasks' names on the broker (`rollout/tasks.py` registers its tasks
under them): messages already queued carry them, so they do not change.
"""

from __future__ import annotations

import importlib
from datetime import datetime

ROLLOUT_ADVANCE = "rollout.advance"
SIMULATION_JOB_RUN = "rollout.simulate_job"
DESIGN_JOB_RUN = "rollout.design_job_run"
WEBHOOK_DELIVER = "rollout.deliver_webhook"
GIT_MIRROR_SYNC = "rollout.git_mirror_sync"


def task_send(*, name: str, args: tuple[object, ...], eta: datetime | None = None) -> None:
    """Send the task called `name` with `args` now (or for `eta`), on the queue the settings
    route it to (CELERY_TASK_ROUTES); with CELERY_TASK_ALWAYS_EAGER it runs here at once.
    Broker errors propagate: callers decide whether the sweep makes up for a lost message."""
    # Not imported at module level: commands and requests that enqueue nothing do not load Celery.
    from regions_config.celery import app

    if name not in app.tasks:
        # The task modules the settings name (CELERY_IMPORTS), imported as a worker does at its
        # start: a registered task is sent exactly as the task object would send it (its
        # options), and runs inline in eager mode, which a task unknown here would not.
        for module in app.conf.imports:
            importlib.import_module(module)
    app.signature(name, args=args).apply_async(eta=eta)
