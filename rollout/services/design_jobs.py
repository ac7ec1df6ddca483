"""Region designs asked for by people (the API and the "Design regions" page): each is a
`DesignJob` a Celery worker computes (`rollout.design_job_run`) while the caller polls its
progress, then saves as a version. The job lifecycle is `rollout.services.jobs`'s.

Roles: editors create and save designs; any role reads them (identical active requests share
one job, whoever asked). Bounds: the parameters' ranges (`DesignParams`; the domain refuses a K
the network cannot have when the worker designs, failing the job with its message), a sweep's
bounds (`rollout.services.design_sweep`), at most `MAX_ACTIVE_PER_USER` pending or running
designs per user (`DesignJobLimit`, 429), and a result of at most `MAX_RESULT_BYTES` of JSON
(a larger one fails the job, saying so). Progress is written at most every `PROGRESS_EVERY`
seconds, each write its own short statement outside any transaction.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from rollout.domain.design.frame import design_request_check
from rollout.domain.errors import ErrorKind, NotFoundError, RolloutError
from rollout.domain.validate import validate_files
from rollout.models import DesignJob, Version
from rollout.selectors.versions import version_raw_files
from rollout.services.audit import audit_record
from rollout.services.design_sweep import region_design_sweep, sweep_range
from rollout.services.designs import Progress, design_files_save, design_request
from rollout.services.enqueue import DESIGN_JOB_RUN
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
from rollout.services.kpis import simulation_bundle
from rollout.services.roles import Role, role_require

logger = logging.getLogger(__name__)

#: the most pending or running design jobs one user may have (joining an identical one is free)
MAX_ACTIVE_PER_USER = 3
#: the largest result a design job keeps (JSON bytes; the 40,000-zone network's is ~1 MB)
MAX_RESULT_BYTES = 16 * 1024 * 1024
#: progress is written to the job at most this often (seconds), plus each job's last word
PROGRESS_EVERY = 0.5
#: a running design writes its progress at each stage (a solver stage lasts at most its time
#: limit, 120 s, plus repairs and a simulation); silent for this long, its worker is gone
STALE_AFTER = timedelta(minutes=10)

DESIGN_JOBS = JobKind(model=DesignJob, task=DESIGN_JOB_RUN, log_name="design_job",
                      stale_after=STALE_AFTER, heartbeat=("progress_at", "started_at"))


class DesignJobNotFound(NotFoundError):
    """No design job has that id."""


class DesignJobLimit(JobLimit):
    """The user already has MAX_ACTIVE_PER_USER designs pending or running (429)."""


class DesignJobNotDone(RolloutError):
    """Only a finished (done) design can be saved (409)."""

    kind = ErrorKind.CONFLICT


@dataclass(frozen=True)
class DesignParams:
    """A design's arguments, as `manage.py design_regions` takes them (`sweep`: "A-B" or None).
    Their ranges are checked by `design_job_create` (`DesignError`, 400)."""

    regions: int
    sweep: str | None = None
    keep: tuple[str, ...] = ()
    max_moves: int | None = None
    headroom: float = 0.0
    contiguous: bool = False
    balance: float | None = None
    keep_routing: bool = False
    time_limit: float = 5.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "keep": list(self.keep)}

    @classmethod
    def of(cls, data: dict[str, object]) -> DesignParams:
        return cls(**{**data, "keep": tuple(data.get("keep") or ())})  # type: ignore[arg-type]


def design_job_create(*, version: Version, params: DesignParams,
                      actor: AbstractBaseUser | None) -> DesignJob:
    """The job that designs `params` for `version` in a worker: the pending or running one of an
    identical request if there is one, else a new one (sent after the commit, audited).

    Refuses before storing anything: `RoleRequired` (not an editor), `DesignError` (parameters
    out of range for the version's network, an unknown region to keep, a malformed or too wide
    sweep), `SimulationRefused` (a version with errors),
    `DesignJobLimit` (too many active designs of this user).
    """
    user = role_require(user=actor, role=Role.EDITOR)
    request = design_request(regions=params.regions, keep=params.keep,
                             max_moves=params.max_moves, headroom=params.headroom,
                             contiguous=params.contiguous, balance=params.balance,
                             time_limit=params.time_limit)
    if params.sweep is not None:
        sweep_range(params.sweep)
    design_request_check(bundle=simulation_bundle(version=version), request=request)
    key = job_request_key({"version": version.id, **params.as_dict()})

    def create() -> DesignJob:
        job = DesignJob.objects.create(version=version, params=params.as_dict(),
                                       request_key=key, requested_by=user)
        audit_record(actor=user, action="design_job.created", object_type="design_job",
                     object_id=str(job.id), details={"version": version.id,
                                                     **params.as_dict()})
        return job

    return job_find_or_create(DESIGN_JOBS, key=key, create=create, refuse=job_limit_per_user(
        DESIGN_JOBS, user=user, limit=MAX_ACTIVE_PER_USER, what="designs",
        error=DesignJobLimit))


def design_job_get(*, job_id: int, actor: AbstractBaseUser | None) -> DesignJob:
    """The job (any role may read any)."""
    role_require(user=actor, role=Role.VIEWER)
    job = DesignJob.objects.select_related("version").filter(id=job_id).first()
    if job is None:
        raise DesignJobNotFound(f"no design job {job_id}")
    return job


def design_jobs_stale(*, limit: int = 100) -> list[int]:
    """Ids of active design jobs whose worker has been silent for STALE_AFTER."""
    return jobs_stale(DESIGN_JOBS, limit=limit)


def design_job_run(*, job_id: int) -> DesignJob | None:
    """Compute the job (the Celery task's body): the design with its sweep, its result the JSON
    of `manage.py design_regions --format json`. A job gone or finished is left alone."""
    job, claimed = job_claim(DESIGN_JOBS, job_id=job_id)
    if job is None or not claimed:
        return job
    params = DesignParams.of(job.params)
    try:
        outcome = region_design_sweep(
            version=job.version, regions=params.regions,
            sweep=sweep_range(params.sweep) if params.sweep is not None else None,
            keep=params.keep, max_moves=params.max_moves, headroom=params.headroom,
            contiguous=params.contiguous, balance=params.balance,
            keep_routing=params.keep_routing, time_limit=params.time_limit,
            progress=_progress_writer(job.id))
    except RolloutError as exc:
        return job_finish(DESIGN_JOBS, job, error=str(exc))
    except Exception:
        logger.exception("design_job.failed job_id=%s", job.id)
        return job_finish(DESIGN_JOBS, job,
                          error="the design failed unexpectedly; the server log says why")
    result = outcome.as_dict()
    size = len(json.dumps(result))
    if size > MAX_RESULT_BYTES:
        return job_finish(DESIGN_JOBS, job, error=f"the design's result has {size:,} bytes, "
                                                  f"over the {MAX_RESULT_BYTES:,} kept")
    base = version_raw_files(version=job.version)
    job.files = {name: raw.decode("utf-8") for name, raw in outcome.files.items()
                 if base.get(name) != raw}
    job.progress, job.progress_text = 1.0, "done"
    return job_finish(DESIGN_JOBS, job, result=result,
                      fields=("files", "progress", "progress_text"))


def design_job_save(*, job_id: int, message: str, actor: AbstractBaseUser | None) -> Version:
    """Store a done design as a new version, child of the designed one (editors). Saving a job
    again gives the version it was saved as. Raises `DesignJobNotFound`, `DesignJobNotDone`
    (pending, running or failed: 409), `DesignRefused` (the proposal has check errors)."""
    user = role_require(user=actor, role=Role.EDITOR)
    with transaction.atomic():
        job = (DesignJob.objects.select_for_update(of=("self",))
               .select_related("version", "saved_version")
               .filter(id=job_id).first())
        if job is None:
            raise DesignJobNotFound(f"no design job {job_id}")
        if job.saved_version is not None:
            return job.saved_version
        if job.state != DesignJob.State.DONE:
            raise DesignJobNotDone(f"design job {job_id} is {job.state}; only a done design "
                                   "can be saved")
        files = {**version_raw_files(version=job.version),
                 **{name: text.encode("utf-8") for name, text in (job.files or {}).items()}}
        report = validate_files(files, max_bytes=settings.RRM_MAX_FILE_BYTES)
        version = design_files_save(version=job.version, files=files,
                                    findings=report.findings, message=message, author=user)
        job.saved_version = version
        job.save(update_fields=["saved_version"])
        audit_record(actor=user, action="design_job.saved", object_type="design_job",
                     object_id=str(job.id), reason=message, details={"version": version.id})
    logger.info("design_job.saved job_id=%s version_id=%s", job.id, version.id)
    return version


def _progress_writer(job_id: int) -> Progress:
    """A progress callback writing to the job's row: at most every PROGRESS_EVERY seconds (the
    first report always), one UPDATE each, while the job is still running."""
    last = [float("-inf")]

    def write(fraction: float, text: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        DesignJob.objects.filter(id=job_id, state=DesignJob.State.RUNNING).update(
            progress=max(0.0, min(1.0, fraction)), progress_text=text[:200],
            progress_at=timezone.now())

    return write
