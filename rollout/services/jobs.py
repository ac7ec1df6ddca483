"""The lifecycle every background job shares (`rollout.models.jobs.BackgroundJob`): simulation
jobs and design jobs are created, sent, claimed, finished and recovered here, once.

- `job_find_or_create`: identical active requests share one job (the request key is unique
  among active jobs; a race for it is settled by the database); a job found stale is sent again.
- `job_claim`: the task's first step, under `select_for_update`: a job gone or finished is left
  alone; a job started `max_attempts` times already (its worker died each time) is failed.
- `job_finish`: done with a result, or failed with an error.
- `jobs_stale`: ids of active jobs no worker has shown life in for `stale_after` (their message
  was lost, or their worker died): the periodic sweep sends them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.models.jobs import BackgroundJob, JobState
from rollout.services.enqueue import task_send

logger = logging.getLogger(__name__)

J = TypeVar("J", bound=BackgroundJob)


@dataclass(frozen=True)
class JobKind(Generic[J]):
    """One kind of job: its model, the task that runs it, and its recovery policy."""

    model: type[J]
    #: the task's name on the broker (`rollout.services.enqueue`)
    task: str
    #: the prefix of its log lines (`simulation_job.done job_id=3`)
    log_name: str
    #: an active job with no sign of life for this long is sent to the workers again
    stale_after: timedelta
    #: a job whose worker died this many times is failed rather than started again
    max_attempts: int = 3
    #: the fields that show a worker is alive, latest first (`created_at` is always last)
    heartbeat: tuple[str, ...] = ("started_at",)

    def stale(self, jobs: QuerySet[J]) -> QuerySet[J]:
        """The active jobs among `jobs` whose last sign of life is older than `stale_after`."""
        cutoff = timezone.now() - self.stale_after
        alive_at = Coalesce(*self.heartbeat, "created_at")
        return jobs.filter(state__in=BackgroundJob.ACTIVE).alias(alive_at=alive_at).filter(
            alive_at__lt=cutoff)  # type: ignore[return-value]  # alias() keeps the model


class JobLimit(RolloutError):
    """The user already has as many jobs of a kind pending or running as one may (429)."""

    kind = ErrorKind.RATE_LIMITED


def job_limit_per_user(kind: JobKind[J], *, user: User, limit: int, what: str,
                       error: type[JobLimit] = JobLimit) -> Callable[[], None]:
    """The `refuse` of `job_find_or_create` that bounds `user`'s active jobs of `kind` to
    `limit` (`what`: the jobs' name in the message, "designs"). It counts under a lock on the
    user's row, in the transaction that creates the job, so two requests at once cannot both
    pass."""
    def refuse() -> None:
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = kind.model._default_manager.filter(
            requested_by=user, state__in=BackgroundJob.ACTIVE).count()
        if active >= limit:
            raise error(f"{user.get_username()} already has {active} {what} pending or "
                        f"running (at most {limit}); wait for one to finish")

    return refuse


def job_find_or_create(kind: JobKind[J], *, key: str, create: Callable[[], J],
                       refuse: Callable[[], None] | None = None) -> J:
    """The active job with request key `key`, else the one `create()` makes (sent to the
    workers after the commit). `refuse`, when given, is called before creating a new job (a
    bound on active jobs, say) and raises to refuse it; joining an existing job is never
    refused. `refuse` runs in the transaction that creates the job, so a lock it takes holds
    until the job is stored. A stale active job found here is sent again."""
    job = _active_job(kind, key)
    if job is None:
        try:
            with transaction.atomic():
                if refuse is not None:
                    refuse()
                job = create()
                job_send_on_commit(kind, job.pk)
            logger.info("%s.created job_id=%s", kind.log_name, job.pk)
            return job
        except IntegrityError:  # an identical request created it a moment ago
            job = _active_job(kind, key)
            if job is None:
                raise
    if kind.stale(kind.model._default_manager.filter(id=job.pk)).exists():
        logger.warning("%s.stale job_id=%s state=%s", kind.log_name, job.pk, job.state)
        job_send_on_commit(kind, job.pk)
    return job


def jobs_stale(kind: JobKind[J], *, limit: int = 100) -> list[int]:
    """Ids of the active jobs no worker has shown life in for `stale_after` (at most `limit`)."""
    return list(kind.stale(kind.model._default_manager.all()).order_by("id")
                .values_list("id", flat=True)[:limit])


def job_claim(kind: JobKind[J], *, job_id: int) -> tuple[J | None, bool]:
    """Lock the job and mark it running (one more attempt): (job, True) when the caller should
    now compute it, (job or None, False) when it is gone, finished, or just failed for having
    been started `max_attempts` times."""
    with transaction.atomic():
        job = kind.model._default_manager.select_for_update().filter(id=job_id).first()
        if job is None or job.state not in BackgroundJob.ACTIVE:
            logger.info("%s.skipped job_id=%s state=%s", kind.log_name, job_id,
                        job.state if job else "gone")
            return job, False
        if job.attempts >= kind.max_attempts:
            return job_finish(kind, job, error=f"the worker stopped {job.attempts} times while "
                                               "computing it; ask again to retry"), False
        job.state, job.started_at = JobState.RUNNING, timezone.now()
        job.attempts += 1
        job.save(update_fields=["state", "started_at", "attempts"])
    return job, True


def job_finish(kind: JobKind[J], job: J, *, result: dict[str, Any] | None = None,
               error: str = "", fields: tuple[str, ...] = ()) -> J:
    """Done with `result`, or failed with `error`; `fields` names more fields the caller set on
    `job` to be saved with it."""
    job.state = JobState.FAILED if error else JobState.DONE
    job.result, job.error, job.finished_at = result, error, timezone.now()
    job.save(update_fields=["state", "result", "error", "finished_at", *fields])
    logger.info("%s.%s job_id=%s", kind.log_name, job.state, job.pk)
    return job


def job_send_on_commit(kind: JobKind[J], job_id: int) -> None:
    """Send the job's task once the current transaction commits. A broker that is down is
    logged, not raised: the sweep (or the next identical request) sends it again."""
    def send() -> None:
        try:
            task_send(name=kind.task, args=(job_id,))
        except Exception:
            logger.warning("%s.enqueue_failed job_id=%s", kind.log_name, job_id, exc_info=True)

    transaction.on_commit(send)


def job_request_key(described: dict[str, Any]) -> str:
    """The request key of a request described by `described` (JSON-serialisable): identical
    requests have the same key."""
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def _active_job(kind: JobKind[J], key: str) -> J | None:
    return (kind.model._default_manager.filter(request_key=key, state__in=BackgroundJob.ACTIVE)
            .order_by("-created_at").first())
