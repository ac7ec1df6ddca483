"""Simulations asked for by people (the API and the UI): answered at once when cached or small,
otherwise computed by a Celery worker as a `SimulationJob` that the caller polls.

Every request is checked here, before anything is computed or stored: the caller's role, the
demand's bounds and the work of one simulation (`rollout.domain.demand.bounded_demand`). A
web worker never computes more than RRM_SIMULATE_INLINE_ITEMS items; identical requests while a
job is pending or running share that job, and a user has at most MAX_ACTIVE_PER_USER other
jobs pending or running (`SimulationJobLimit`, 429).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from rollout.domain.demand import DemandError, bounded_demand, orders_per_day
from rollout.domain.errors import NotFoundError
from rollout.domain.kpis import delta_of
from rollout.domain.schema import Demand
from rollout.models import SimulationJob, Version
from rollout.services.enqueue import SIMULATION_JOB_RUN
from rollout.services.jobs import (
    JobKind,
    JobLimit,
    job_claim,
    job_find_or_create,
    job_finish,
    job_limit_per_user,
    job_request_key,
    jobs_stale,
)
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
#: the most pending or running simulation jobs one user may have (joining an identical one is
#: free): each may be a day of 5,000,000 items for a worker of the `jobs` queue
MAX_ACTIVE_PER_USER = 3
SIMULATION_JOBS = JobKind(model=SimulationJob, task=SIMULATION_JOB_RUN,
                          log_name="simulation_job", stale_after=STALE_AFTER,
                          max_attempts=MAX_ATTEMPTS)


class SimulationJobLimit(JobLimit):
    """The user already has MAX_ACTIVE_PER_USER simulation jobs pending or running (429)."""


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
    return job_find_or_create(
        SIMULATION_JOBS, key=key,
        create=lambda: SimulationJob.objects.create(
            version=version, baseline=baseline, request_key=key,
            demand=None if demand is None else demand.model_dump(), requested_by=user),
        refuse=job_limit_per_user(SIMULATION_JOBS, user=user, limit=MAX_ACTIVE_PER_USER,
                                  what="simulations", error=SimulationJobLimit))


def simulation_jobs_stale(*, limit: int = 100) -> list[int]:
    """Ids of active jobs no worker has worked on for STALE_AFTER (their message was lost, or
    their worker died): the periodic sweep sends them again."""
    return jobs_stale(SIMULATION_JOBS, limit=limit)


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
    job, claimed = job_claim(SIMULATION_JOBS, job_id=job_id)
    if job is None or not claimed:
        return job
    demand = None if job.demand is None else Demand.model_validate(job.demand)
    try:
        result = simulation_compare(version=job.version, baseline=job.baseline, demand=demand)
    except (SimulationRefused, DemandError) as exc:
        return job_finish(SIMULATION_JOBS, job, error=str(exc))
    except Exception:
        logger.exception("simulation_job.failed job_id=%s", job.id)
        return job_finish(SIMULATION_JOBS, job,
                          error="the simulation failed unexpectedly; the server log says why")
    return job_finish(SIMULATION_JOBS, job, result=result)


def _checked_work(version: Version, demand: Demand | None) -> tuple[float, int]:
    """The items a simulation of `version` generates and its catalogue size, after checking
    that it may be simulated and that the demand is within bounds."""
    bundle = simulation_bundle(version=version)
    settings_ = bounded_demand(bundle, demand)
    return orders_per_day(bundle) * settings_.items_per_order, settings_.catalog


def _request_key(version: Version, baseline: Version | None, demand: Demand | None) -> str:
    return job_request_key({"version": version.id, "baseline": baseline.id if baseline else None,
                            "demand": None if demand is None else demand.model_dump()})


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
