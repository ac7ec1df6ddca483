"""/versions: list, create, read, raw files, diffs; /simulate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from rollout.api.auth import caller
from rollout.api.common import bounds, version_out
from rollout.api.errors import NotFound
from rollout.api.ratelimit import check_write_rate
from rollout.api.schemas import (
    DiffOut,
    ErrorOut,
    SimulateIn,
    SimulationOut,
    VersionIn,
    VersionOut,
    VersionPage,
)
from rollout.domain.diff import semantic_diff, text_diff
from rollout.management.kpi_table import delta_of
from rollout.models import Version
from rollout.selectors import version_bundle, version_files, version_get, version_list
from rollout.services.kpis import SimulationRefused, simulation_run
from rollout.services.roles import Role
from rollout.services.versions import LATEST, version_create

router = Router(tags=["versions"])


@router.get("/versions", response=VersionPage)
def list_versions(request: HttpRequest, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    limit, offset = bounds(limit, offset)
    items = [version_out(v, with_findings=False) for v in version_list(limit=limit,
                                                                         offset=offset)]
    return {"count": Version.objects.count(), "limit": limit, "offset": offset, "items": items}


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
             response={200: SimulationOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def simulate_version(request: HttpRequest, body: SimulateIn) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    demand = body.demand
    after = simulation_run(version=version_get(ref=body.version), demand=demand)
    if body.baseline is None:
        return after
    before = simulation_run(version=version_get(ref=body.baseline), demand=demand)
    return {**after, "baseline": before, "delta": delta_of(before, after)}


__all__ = ["SimulationRefused", "router"]
