"""Simulations asked for by people (the API and the UI): answered at once when cached or small,
otherwise computed by a Celery worker as a `SimulationJob` that the caller polls.

Every request is checked here, before anything is computed or stored: the caller's role, the
demand's bounds and the work of one simulation (`rollout.domain.demand.bounded_demand`). A
web worker never computes more than RRM_SIMULATE_INLINE_ITEMS items; identical requests while a
job is pending or running share that job.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from rollout.domain.demand import DemandError, bounded_demand, orders_per_day
from rollout.domain.errors import NotFoundError
from rollout.domain.kpis import delta_of
from rollout.domain.schema import Demand
from rollout.models import SimulationJob, Version
from rollout.services.enqueue import SIMULATION_JOB_RUN, task_send
from rollout.services.kpis import (
    SimulationRefused,
    simulation_bundle,
    simulation_cached,
    simulation_run,
)
from rollout.services.roles import Role, role_require

logger = logging.getLogger(__name__)

#: simulations of at most RRM_SIMULATE_INLINE_ITEMS items (orders x items per order, both sides
#: together; 500,000 by default: 0.14 s and 34 MB on the east-coast example, whose default day
#: of 150,000 items is answered at once) are computed in the web process, when their catalogue
#: has at most this many SKUs (its Zipf table takes 16 bytes a SKU)
INLINE_CATALOG = 1_000_000
#: a job still pending or running after this long is sent to the workers again, by the periodic
#: sweep or an identical request (its message was lost, or its worker died); a run takes seconds
STALE_AFTER = timedelta(minutes=5)
#: a job whose worker died this many times is failed rather than started again
MAX_ATTEMPTS = 3


class SimulationJobNotFound(NotFoundError):
    """No simulation job has that id."""


@dataclass(frozen=True)
class SimulationAnswer:
    """The result when it is known now (cached or small), else the job computing it."""

    result: dict[str, Any] | None = None
    job: SimulationJob | None = None


def _inline_items() -> int:
    return int(settings.RRM_SIMULATE_INLINE_ITEMS)


def simulation_request(
    *,
    version: Version,
    baseline: Version | None = None,
    demand: Demand | None = None,
    actor: AbstractBaseUser | None,
) -> SimulationAnswer:
    """KPIs of `version` (and `baseline`, with the delta) under `demand`: the result when it is
    cached or small enough to compute here, otherwise the job a worker computes it in.

    Raises `RoleRequired` (not a viewer), `SimulationRefused` (a version with errors) or
    `DemandError` (settings out of bounds, or more items than one simulation may generate).
    """
    role_require(user=actor, role=Role.VIEWER)
    sides = [side for side in (version, baseline) if side is not None]
    work = [_checked_work(side, demand) for side in sides]
    small = (sum(items for items, _ in work) <= _inline_items()
             and max(catalog for _, catalog in work) <= INLINE_CATALOG)
    if small or all(simulation_cached(version=side, demand=demand) is not None
                    for side in sides):
        return SimulationAnswer(result=simulation_compare(version=version, baseline=baseline,
                                                          demand=demand))
    return SimulationAnswer(job=simulation_job_create(version=version, baseline=baseline,
                                                      demand=demand, actor=actor))


def simulation_compare(*, version: Version, baseline: Version | None = None,
                       demand: Demand | None = None) -> dict[str, Any]:
    """The body of POST /simulate: the version's KPIs; with a baseline, also the baseline's and
    the delta (after minus before). Both sides use `demand` (None: each its own demand.yaml)."""
    after = simulation_run(version=version, demand=demand)
    if baseline is None:
        return after
    before = simulation_run(version=baseline, demand=demand)
    return {**after, "baseline": before, "delta": delta_of(before, after)}


def simulation_job_create(
    *,
    version: Version,
    baseline: Version | None = None,
    demand: Demand | None = None,
    actor: AbstractBaseUser | None,
) -> SimulationJob:
    """The job that computes `simulation_compare(...)` in a worker: the pending or running one
    of an identical request if there is one, else a new one (enqueued after the commit).

    Checked first, like `simulation_request`: role, versions without errors, demand bounds.
    """
    user = role_require(user=actor, role=Role.VIEWER)
    for side in (version, baseline):
        if side is not None:
            _checked_work(side, demand)
    key = _request_key(version, baseline, demand)
    job = _active_job(key)
    if job is None:
        try:
            with transaction.atomic():
                job = SimulationJob.objects.create(
                    version=version, baseline=baseline, request_key=key,
                    demand=None if demand is None else demand.model_dump(),
                    requested_by=user)
                _enqueue_on_commit(job.id)
            logger.info("simulation_job.created job_id=%s version_id=%s", job.id, version.id)
            return job
        except IntegrityError:  # an identical request created it a moment ago
            job = _active_job(key)
            if job is None:
                raise
    if _stale(SimulationJob.objects.filter(id=job.id)).exists():
        logger.warning("simulation_job.stale job_id=%s state=%s", job.id, job.state)
        _enqueue_on_commit(job.id)
    return job


def simulation_jobs_stale(*, limit: int = 100) -> list[int]:
    """Ids of active jobs no worker has worked on for STALE_AFTER (their message was lost, or
    their worker died): the periodic sweep sends them again."""
    return list(_stale(SimulationJob.objects.all()).order_by("id")
                .values_list("id", flat=True)[:limit])


def _stale(jobs: QuerySet[SimulationJob]) -> QuerySet[SimulationJob]:
    cutoff = timezone.now() - STALE_AFTER
    return jobs.filter(Q(started_at__lt=cutoff) | Q(started_at__isnull=True,
                                                   created_at__lt=cutoff),
                       state__in=SimulationJob.ACTIVE)


def simulation_job_get(*, job_id: int, actor: AbstractBaseUser | None) -> SimulationJob:
    """The job (any viewer may read any: identical requests of several people share one)."""
    role_require(user=actor, role=Role.VIEWER)
    job = SimulationJob.objects.select_related("version", "baseline").filter(id=job_id).first()
    if job is None:
        raise SimulationJobNotFound(f"no simulation job {job_id}")
    return job


def simulation_job_run(*, job_id: int) -> SimulationJob | None:
    """Compute the job (the Celery task's body). A job that is gone or finished is left alone;
    a job whose worker died is started again, up to MAX_ATTEMPTS starts."""
    with transaction.atomic():
        job = SimulationJob.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.state not in SimulationJob.ACTIVE:
            logger.info("simulation_job.skipped job_id=%s state=%s", job_id,
                        job.state if job else "gone")
            return job
        if job.attempts >= MAX_ATTEMPTS:
            return _finish(job, error=f"the worker stopped {job.attempts} times while "
                                      "computing it; ask again to retry")
        job.state, job.started_at = SimulationJob.State.RUNNING, timezone.now()
        job.attempts += 1
        job.save(update_fields=["state", "started_at", "attempts"])
    demand = None if job.demand is None else Demand.model_validate(job.demand)
    try:
        result = simulation_compare(version=job.version, baseline=job.baseline, demand=demand)
    except (SimulationRefused, DemandError) as exc:
        return _finish(job, error=str(exc))
    except Exception:
        logger.exception("simulation_job.failed job_id=%s", job.id)
        return _finish(job, error="the simulation failed unexpectedly; the server log says why")
    return _finish(job, result=result)


def _finish(job: SimulationJob, *, result: dict[str, Any] | None = None,
            error: str = "") -> SimulationJob:
    job.state = SimulationJob.State.FAILED if error else SimulationJob.State.DONE
    job.result, job.error, job.finished_at = result, error, timezone.now()
    job.save(update_fields=["state", "result", "error", "finished_at"])
    logger.info("simulation_job.%s job_id=%s version_id=%s", job.state, job.id, job.version_id)
    return job


def _checked_work(version: Version, demand: Demand | None) -> tuple[float, int]:
    """The items a simulation of `version` generates and its catalogue size, after checking
    that it may be simulated and that the demand is within bounds."""
    bundle = simulation_bundle(version=version)
    settings_ = bounded_demand(bundle, demand)
    return orders_per_day(bundle) * settings_.items_per_order, settings_.catalog


def _request_key(version: Version, baseline: Version | None, demand: Demand | None) -> str:
    described = {"version": version.id, "baseline": baseline.id if baseline else None,
                 "demand": None if demand is None else demand.model_dump()}
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def _active_job(key: str) -> SimulationJob | None:
    return (SimulationJob.objects.filter(request_key=key, state__in=SimulationJob.ACTIVE)
            .order_by("-created_at").first())


def _enqueue_on_commit(job_id: int) -> None:
    def send() -> None:
        try:
            task_send(name=SIMULATION_JOB_RUN, args=(job_id,))
        except Exception:  # the broker is down: the next identical request sends it again
            logger.warning("simulation_job.enqueue_failed job_id=%s", job_id, exc_info=True)

    transaction.on_commit(send)


__all__ = [
    "DemandError",
    "SimulationAnswer",
    "SimulationJobNotFound",
    "simulation_compare",
    "simulation_job_create",
    "simulation_job_get",
    "simulation_job_run",
    "simulation_jobs_stale",
    "simulation_request",
]
