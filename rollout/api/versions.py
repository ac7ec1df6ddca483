"""/versions: list, create, read, raw files, diffs; /simulate and /simulations/{id}."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path as PathParam
from ninja import Router, Status

from rollout.api.auth import caller
from rollout.api.common import bounds, version_out
from rollout.api.errors import NotFound
from rollout.api.ratelimit import check_write_rate
from rollout.api.schemas import (
    DiffOut,
    ErrorOut,
    SimulateIn,
    SimulationJobOut,
    SimulationOut,
    VersionFromGitIn,
    VersionIn,
    VersionOut,
    VersionPage,
)
from rollout.domain.diff import semantic_diff, text_diff
from rollout.models import SimulationJob, Version
from rollout.selectors.versions import (
    version_bundle,
    version_count,
    version_files,
    version_get,
    version_list,
)
from rollout.services.git_import import version_import_git
from rollout.services.kpis import SimulationRefused
from rollout.services.roles import Role
from rollout.services.simulations import (
    simulation_job_get,
    simulation_request,
)
from rollout.services.versions import LATEST, version_create

router = Router(tags=["versions"])


@router.get("/versions", response=VersionPage)
def list_versions(request: HttpRequest, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    limit, offset = bounds(limit, offset)
    items = [version_out(v, with_findings=False) for v in version_list(limit=limit,
                                                                         offset=offset)]
    return {"count": version_count(), "limit": limit, "offset": offset, "items": items}


@router.post("/versions",
             response={200: VersionOut, 201: VersionOut, 400: ErrorOut, 404: ErrorOut})
def create_version(request: HttpRequest, body: VersionIn) -> tuple[int, dict[str, Any]]:
    user = caller(request).require(Role.EDITOR)
    check_write_rate(request)
    parent: Version | object = LATEST
    if body.parent:
        parent = version_get(ref=body.parent)
    # surrogatepass: a lone surrogate (legal in JSON) reaches the loader, which refuses the
    # file as not UTF-8 (400), instead of failing here.
    result = version_create(files={n: t.encode("utf-8", "surrogatepass")
                                   for n, t in body.files.items()},
                            message=body.message, author=user,
                            parent=parent)  # type: ignore[arg-type]  # Version | LATEST
    return (201 if result.created else 200), version_out(result.version)


@router.post("/versions/git", response={200: VersionOut, 201: VersionOut, 400: ErrorOut,
                                        403: ErrorOut, 404: ErrorOut})
def create_version_from_git(request: HttpRequest,
                            body: VersionFromGitIn) -> tuple[int, dict[str, Any]]:
    """A version from a commit of a Git repository (one RRM_GIT_IMPORT_ALLOWED names): the
    bundle at `path` at `ref`. The version records the repository, the ref and the commit;
    the same commit imported twice is the same version (200)."""
    user = caller(request).require(Role.EDITOR)
    check_write_rate(request)
    parent: Version | object = LATEST
    if body.parent:
        parent = version_get(ref=body.parent)
    result = version_import_git(repository=body.repository, ref=body.ref, path=body.path,
                                message=body.message, author=user, parent=parent)
    return (201 if result.created else 200), version_out(result.version)


@router.get("/versions/{version_id}", response={200: VersionOut, 404: ErrorOut})
def get_version(request: HttpRequest, version_id: str) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    return version_out(version_get(ref=version_id))


@router.get("/versions/{version_id}/files/{name}", response={404: ErrorOut},
            openapi_extra={"responses": {"200": {
                "description": "the file's text, exactly as imported",
                # any YAML document (clients that parse YAML get whatever the file holds)
                "content": {"application/yaml": {"schema": {}}}}}})
def get_version_file(request: HttpRequest, version_id: str, name: str) -> HttpResponse:
    caller(request).require(Role.VIEWER)
    files = version_files(version=version_get(ref=version_id))
    if name not in files:
        raise NotFound(f"version {version_id} has no file {name!r}")
    return HttpResponse(files[name], content_type="application/yaml; charset=utf-8")


@router.get("/versions/{a}/diff/{b}", response={200: DiffOut, 404: ErrorOut})
def diff_versions(request: HttpRequest, a: str, b: str) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    old, new = version_get(ref=a), version_get(ref=b)
    old_bundle, new_bundle = version_bundle(version=old), version_bundle(version=new)
    semantic = (semantic_diff(old_bundle, new_bundle).as_dict()
                if old_bundle is not None and new_bundle is not None else None)
    files = text_diff(version_files(version=old), version_files(version=new))
    return {"a": old.id, "b": new.id, "semantic": semantic,
            "files": [item.as_dict() for item in files]}


@router.post("/simulate", tags=["simulation"],
             response={200: SimulationOut, 202: SimulationJobOut, 404: ErrorOut, 409: ErrorOut,
                       422: ErrorOut},
             openapi_extra={"responses": {"202": {
                 "description": "Not cached and too big to compute at once: a worker computes "
                                "it. Poll the job's `url` (also the Location header) until its "
                                "state is done (its `result` is this operation's 200 body) or "
                                "failed.",
                 "content": {"application/json": {"schema": {
                     "$ref": "#/components/schemas/SimulationJobOut"}}}}}})
def simulate_version(request: HttpRequest, response: HttpResponse,
                     body: SimulateIn) -> Status[dict[str, Any]]:
    """KPIs per region and in total (with a baseline: its KPIs and the delta too). Cached and
    small simulations answer 200 at once; others 202 with a job to poll."""
    who = caller(request).require(Role.VIEWER)
    check_write_rate(request)
    version = version_get(ref=body.version)
    baseline = version_get(ref=body.baseline) if body.baseline is not None else None
    answer = simulation_request(version=version, baseline=baseline, demand=body.demand,
                                actor=who)
    if answer.job is None:
        assert answer.result is not None
        return Status(200, answer.result)
    response["Location"] = job_url(answer.job)
    return Status(202, job_out(answer.job))


@router.get("/simulations/{job_id}", tags=["simulation"], url_name="simulation_job",
            response={200: SimulationJobOut, 404: ErrorOut})
def get_simulation_job(request: HttpRequest,
                       job_id: int = PathParam(..., ge=1, le=2**63 - 1)) -> dict[str, Any]:
    """A simulation job: pending, running, done (with its result) or failed (with why)."""
    job = simulation_job_get(job_id=job_id, actor=caller(request).require(Role.VIEWER))
    return job_out(job)


def job_url(job: SimulationJob) -> str:
    return reverse("api:simulation_job", kwargs={"job_id": job.id})


def job_out(job: SimulationJob) -> dict[str, Any]:
    return {"id": job.id, "state": job.state, "url": job_url(job),
            "version": job.version_id, "baseline": job.baseline_id, "demand": job.demand,
            "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at, "result": job.result, "error": job.error or None}


__all__ = ["SimulationRefused", "router"]
