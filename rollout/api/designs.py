"""/designs: region design as a background job (issue 14, DESIGN section 11).

POST /designs (editors) answers 202 with the job to poll; GET /designs/{id} (any role) gives
its state, progress and, when done, the JSON of `manage.py design_regions --format json`
(with `sweep` when one was asked for); POST /designs/{id}/save (editors) stores a done design
as a version, child of the designed one. Bounds: see `rollout.services.design_jobs`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path as PathParam
from ninja import Router, Schema, Status
from pydantic import Field

from rollout.api.auth import caller
from rollout.api.common import version_out
from rollout.api.ratelimit import check_write_rate
from rollout.api.schemas import ErrorOut, VersionOut
from rollout.domain.text import MAX_TEXT_CHARS
from rollout.models import DesignJob
from rollout.selectors.versions import version_get
from rollout.services.design_jobs import (
    DesignParams,
    design_job_create,
    design_job_get,
    design_job_save,
)
from rollout.services.design_sweep import MAX_SWEEP
from rollout.services.designs import MAX_TIME_LIMIT
from rollout.services.roles import Role

router = Router(tags=["designs"])
REFUSALS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
            429: ErrorOut}


class DesignIn(Schema):
    version: str = Field(min_length=1, max_length=64, description="version id")
    regions: int = Field(ge=1, le=10_000, description="how many regions to propose (K)")
    sweep: str | None = Field(
        default=None, pattern=r"^\d{1,6}-\d{1,6}$",
        description=f"also design every K from A to B, written A-B (e.g. \"4-12\"; at most "
                    f"{MAX_SWEEP} values)")
    keep: list[str] = Field(default_factory=list, max_length=1000,
                            description="codes of regions kept exactly as they are")
    max_moves: int | None = Field(default=None, ge=0, le=10_000_000,
                                  description="move at most this many zones")
    headroom: float = Field(default=0.0, ge=0, lt=1,
                            description="keep demand within capacity x (1 - headroom)")
    contiguous: bool = False
    balance: float | None = Field(default=None, ge=1, le=1e6,
                                  description="largest region demand / smallest at most this")
    keep_routing: bool = False
    time_limit: float = Field(default=5.0, gt=0, le=MAX_TIME_LIMIT,
                              description="the solver's seconds per K")


class DesignJobOut(Schema):
    """A design computed by a worker: poll `url` until `state` is done (then `result`) or
    failed (then `error`)."""

    id: int
    state: Literal["pending", "running", "done", "failed"]
    progress: float = Field(description="0..1")
    progress_text: str
    url: str
    version: str
    params: dict[str, Any]
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None = Field(
        description="the JSON of `manage.py design_regions --format json`: regions, kpis, "
                    "moved_zones, violations, checks, ..., sweep (one row per K) when asked")
    error: str | None
    saved_version: str | None


class DesignSaveIn(Schema):
    message: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


@router.post("/designs", response={202: DesignJobOut, **REFUSALS})
def create_design(request: HttpRequest, response: HttpResponse,
                  body: DesignIn) -> Status[dict[str, Any]]:
    """Start a region design of a version (editors). 202 with the job to poll (also in the
    Location header); an identical design pending or running is that same job."""
    user = caller(request).require(Role.EDITOR)
    check_write_rate(request)
    params = DesignParams(regions=body.regions, sweep=body.sweep,
                          keep=tuple(dict.fromkeys(body.keep)), max_moves=body.max_moves,
                          headroom=body.headroom, contiguous=body.contiguous,
                          balance=body.balance, keep_routing=body.keep_routing,
                          time_limit=body.time_limit)
    job = design_job_create(version=version_get(ref=body.version), params=params, actor=user)
    response["Location"] = design_url(job)
    return Status(202, design_out(job))


@router.get("/designs/{job_id}", url_name="design_job", response={200: DesignJobOut,
                                                                  404: ErrorOut})
def get_design(request: HttpRequest,
               job_id: int = PathParam(..., ge=1, le=2**63 - 1)) -> dict[str, Any]:
    """A design job: pending, running (with its progress), done (with its result) or failed
    (with why), and the version it was saved as."""
    return design_out(design_job_get(job_id=job_id,
                                     actor=caller(request).require(Role.VIEWER)))


@router.post("/designs/{job_id}/save", response={201: VersionOut, **REFUSALS})
def save_design(request: HttpRequest, body: DesignSaveIn,
                job_id: int = PathParam(..., ge=1, le=2**63 - 1)) -> Status[dict[str, Any]]:
    """Store a done design as a version, child of the designed one (editors); saving it again
    answers the same version. 409 while the design is not done."""
    user = caller(request).require(Role.EDITOR)
    check_write_rate(request)
    version = design_job_save(job_id=job_id, message=body.message, actor=user)
    return Status(201, version_out(version))


def design_url(job: DesignJob) -> str:
    return reverse("api:design_job", kwargs={"job_id": job.id})


def design_out(job: DesignJob) -> dict[str, Any]:
    return {"id": job.id, "state": job.state, "progress": job.progress,
            "progress_text": job.progress_text, "url": design_url(job),
            "version": job.version_id, "params": job.params,
            "requested_by": job.requested_by.get_username() if job.requested_by else None,
            "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at, "result": job.result, "error": job.error or None,
            "saved_version": job.saved_version_id}
