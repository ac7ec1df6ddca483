"""Request and response bodies of the REST API (pydantic, through django-ninja)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from rollout.domain.demand import MAX_ITEMS, SimulationDemand
from rollout.domain.promql import MAX_QUERY_CHARS
from rollout.domain.text import MAX_TEXT_CHARS, text_problem
from rollout.services.plans import MAX_BAKE_MINUTES, MAX_GATES, MAX_PHASES, MAX_REGRESSION_PCT


class FindingOut(Schema):
    code: str
    severity: str
    message: str
    file: str
    line: int
    column: int
    hint: str | None = None


class ErrorOut(Schema):
    #: a sentence, or (for a malformed request body) the list of what is wrong and where
    detail: str | list[dict[str, Any]]
    findings: list[FindingOut] | None = None


class Page(Schema):
    count: int
    limit: int
    offset: int


class VersionIn(Schema):
    files: dict[str, str] = Field(description="file name -> YAML text", min_length=1)
    message: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    parent: str | None = None


class GitSourceOut(Schema):
    repository: str
    ref: str
    commit: str
    path: str


class VersionOut(Schema):
    id: str
    message: str
    author: str | None
    parent: str | None
    created_at: datetime
    valid: bool
    errors: int
    warnings: int
    files: list[str]
    stats: dict[str, Any]
    findings: list[FindingOut]
    git: GitSourceOut | None = None  # where the files came from, when imported from Git


class VersionFromGitIn(Schema):
    repository: str = Field(min_length=1, max_length=500,
                            description="a URL or path git accepts (RRM_GIT_IMPORT_ALLOWED)")
    ref: str = Field(default="HEAD", min_length=1, max_length=255,
                     description="a branch, tag or commit")
    path: str = Field(default="", max_length=500,
                      description="the bundle's folder (or single file) in the repository")
    message: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    parent: str | None = None


class VersionPage(Page):
    items: list[VersionOut]


class SimulateIn(Schema):
    version: str = Field(min_length=1, max_length=64, description="version id")
    demand: SimulationDemand | None = Field(
        default=None,
        description=f"generated demand (default: the version's demand.yaml); orders a day x "
                    f"items_per_order may be at most {MAX_ITEMS:,} items")
    baseline: str | None = Field(default=None, min_length=1, max_length=64,
                                 description="version id to compare with (adds baseline, delta)")


class PhaseIn(Schema):
    regions: list[str] = Field(min_length=1)
    bake_minutes: float = Field(default=60.0, ge=0, le=MAX_BAKE_MINUTES)
    start_after: datetime | None = None


class GateIn(Schema):
    kpi: str
    max_regression_pct: float = Field(ge=0, le=MAX_REGRESSION_PCT)
    query: str = Field(
        default="", max_length=MAX_QUERY_CHARS,
        description="a PromQL query naming $region: the gate reads Prometheus "
                    "(RRM_PROMETHEUS_URL) at activation and at bake end instead of posted "
                    "values; empty: the RRM_PROMETHEUS_QUERIES file's query for the KPI, if "
                    "any, else posted observations, else the simulation")


class RolloutIn(Schema):
    version: str
    phases: list[PhaseIn] = Field(min_length=1, max_length=MAX_PHASES)
    gates: list[GateIn] = Field(default_factory=list, max_length=MAX_GATES)
    on_gate_failure: Literal["rollback", "pause"] = "rollback"


def _storable(text: str) -> str:
    problem = text_problem(text, what="the text")
    if problem:
        raise ValueError(problem)
    return text


#: Free text kept in a text column: no NUL character or lone surrogate (`text_problem`).
StoredText = Annotated[str, AfterValidator(_storable)]


class ReasonIn(Schema):
    reason: StoredText = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class RegionRollbackIn(Schema):
    version: str | None = Field(description="version id; null takes the region out of service")
    reason: StoredText = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class ObservationIn(Schema):
    values: dict[str, Any] = Field(min_length=1)
    observed_at: datetime | None = None
    source: str = Field(default="", max_length=64)


class RouteOut(Schema):
    zone: str
    region: str
    version: str
    fcs: list[str]
    path: list[str]


class RoutesIn(Schema):
    zones: list[str] = Field(min_length=1, max_length=10_000)


class PhaseOut(Schema):
    regions: list[str]
    state: str
    bake_minutes: float
    started_at: str | None
    finished_at: str | None


class GateOut(Schema):
    kpi: str
    max_regression_pct: float
    query: str


class EventOut(Schema):
    at: str
    kind: str
    message: str
    actor: str | None


class RolloutOut(Schema):
    id: int
    state: str
    version: str
    on_gate_failure: str
    created_by: str
    approved_by: str | None
    phases: list[PhaseOut]
    gates: list[GateOut]
    events: list[EventOut]


class RolloutSummary(Schema):
    id: int
    state: str
    version: str
    created_at: str
    created_by: str


class RolloutPage(Page):
    items: list[RolloutSummary]


class RegionRollbackOut(Schema):
    region: str
    version: str | None
    activation: int
    reason: str


class ActiveRegionOut(Schema):
    version: str | None
    activation: int
    kind: str
    activated_at: str
    by: str | None  # who made the activation (for a rollout's phase: who started it)
    zones: int


class ActiveOut(Schema):
    regions: dict[str, ActiveRegionOut]
    gaps: list[str]
    at: str | None = None  # with ?at=T: that instant
    sequence: int | None = None  # with ?at=T: the newest activation then (0: nothing live)


class RoutesOut(Schema):
    routes: list[RouteOut]
    not_live: list[str]


class SnapshotOut(Schema):
    id: int
    region: str
    version: str | None
    source: str
    kind: str
    values: dict[str, float]
    taken_at: str
    source_system: str
    token: str | None = Field(default=None, description="for an observation: the API token "
                              "it was posted with (the part after `rrm_`)")


class SnapshotPage(Page):
    items: list[SnapshotOut]


class AuditOut(Schema):
    id: int
    at: str
    actor: str | None
    action: str
    object_type: str
    object_id: str
    reason: str
    details: dict[str, Any]


class AuditPage(Page):
    items: list[AuditOut]


class FileDiffOut(Schema):
    name: str
    status: str
    diff: str


class DiffOut(Schema):
    a: str
    b: str
    semantic: dict[str, Any] | None
    files: list[FileDiffOut]


class SimulationOut(Schema):
    total: dict[str, float]
    regions: dict[str, dict[str, float]]
    baseline: dict[str, Any] | None = None
    delta: dict[str, Any] | None = None


class SimulationJobOut(Schema):
    """A simulation computed by a worker: poll `url` until `state` is done (then `result` is
    the body POST /simulate answers at once for a cached one) or failed (then `error`)."""

    id: int
    state: Literal["pending", "running", "done", "failed"]
    url: str
    version: str
    baseline: str | None
    demand: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: SimulationOut | None
    error: str | None
