"""Thin Celery tasks (STYLE.md rule 4): take an id, call a service, return.

Duplicates and retries are harmless: the services lock the row and check the state, so a task
that finds its step done (or not yet due) does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from regions_config.celery import app
from rollout.services.enqueue import (
    DESIGN_JOB_RUN,
    GIT_MIRROR_SYNC,
    ROLLOUT_ADVANCE,
    SIMULATION_JOB_RUN,
    WEBHOOK_DELIVER,
)

logger = logging.getLogger(__name__)


@app.task(name=ROLLOUT_ADVANCE, ignore_result=True)
def advance(rollout_id: int) -> str:
    from rollout.services.engine import rollout_advance

    return rollout_advance(rollout_id=rollout_id).kind.value


@app.task(name=SIMULATION_JOB_RUN, ignore_result=True)
def simulate_job(job_id: int) -> str:
    from rollout.services.simulations import simulation_job_run

    job = simulation_job_run(job_id=job_id)
    return job.state if job is not None else "gone"


@app.task(name=DESIGN_JOB_RUN, ignore_result=True)
def design_job_run(job_id: int) -> str:
    from rollout.services.design_jobs import design_job_run as run

    job = run(job_id=job_id)
    return job.state if job is not None else "gone"


@app.task(name="rollout.sweep", ignore_result=True)
def sweep() -> int:
    """Re-enqueue every running rollout whose next step is due, and every overdue webhook.

    This is what makes a lost message, a killed worker or a broker outage only a delay.
    """
    from rollout.services.engine import engine_tables_exist, rollouts_due
    from rollout.services.webhooks import webhook_deliveries_due

    if not engine_tables_exist():
        # A worker started on a fresh clone before `manage.py migrate`: one line each sweep,
        # not a traceback, until the tables exist.
        logger.warning("rollout.sweep skipped: the database has no tables yet "
                       "(run `python manage.py migrate`)")
        return 0

    due = rollouts_due()
    for rollout_id in due:
        advance.delay(rollout_id)
    deliveries = list(webhook_deliveries_due())
    for delivery_id in deliveries:
        deliver_webhook.delay(delivery_id)
    from rollout.services.design_jobs import design_jobs_stale
    from rollout.services.simulations import simulation_jobs_stale

    jobs = list(simulation_jobs_stale())
    for job_id in jobs:  # a lost message or a dead worker: send it again
        simulate_job.delay(job_id)
    designs = list(design_jobs_stale())
    for job_id in designs:
        design_job_run.delay(job_id)
    # Every few seconds: a line at INFO only when something was sent again, else one at DEBUG
    # (Celery's own sent/received/succeeded lines for this task are dropped: SweepLogFilter).
    level = logging.INFO if due or deliveries or jobs or designs else logging.DEBUG
    logger.log(level, "rollout.sweep due=%s webhooks=%s simulations=%s designs=%s",
               ",".join(map(str, due)) or "-", ",".join(map(str, deliveries)) or "-",
               ",".join(map(str, jobs)) or "-", ",".join(map(str, designs)) or "-")
    return len(due)


class SweepLogFilter(logging.Filter):
    """Drops Celery's per-run lines about the periodic sweep (beat's "Sending due task", the
    worker's "received" and "succeeded"): three lines every RRM_SWEEP_SECONDS that say nothing.
    The sweep logs what it did itself. Failures (other levels, other loggers) pass."""

    LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        args = record.args
        if isinstance(args, Mapping):
            return args.get("name") != sweep.name
        return not (isinstance(args, tuple) and sweep.name in args)


def _quiet_sweep() -> None:
    for name in SweepLogFilter.LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, SweepLogFilter) for f in target.filters):
            target.addFilter(SweepLogFilter())


_quiet_sweep()


@app.task(name=WEBHOOK_DELIVER, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    from rollout.services.webhooks import webhook_deliver

    delivery = webhook_deliver(delivery_id=delivery_id)
    if delivery is None:
        return "settled"
    if delivery.status == delivery.Status.PENDING:
        deliver_webhook.apply_async((delivery_id,), eta=delivery.next_attempt_at)
    return str(delivery.status)


@app.task(name=GIT_MIRROR_SYNC, ignore_result=True)
def git_mirror_sync() -> int:
    """Write the live states the Git mirror lacks. Safe to run twice or late: it writes what
    its branch does not hold yet, in order (a failure is recorded; the beat tries again)."""
    from rollout.services.git_mirror import git_mirror_sync as sync
    from rollout.services.git_repo import GitFailed

    try:
        result = sync()
    except GitFailed:
        return 0  # recorded as the mirror's error; the catch-up or the next change retries
    return len(result.written) if result else 0
