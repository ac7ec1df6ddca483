"""Rollout plans: their shape, their digest, the plan check, and its confirmation under the lock.

A plan is phases of regions (each with a bake time and an optional earliest start) plus KPI
gates and what to do when a gate fails. Its digest is what an approval vouches for; the plan
check runs the live state after every phase, and the state a rollback would restore, through the
check catalogue. The state changes that use these live in `rollout.services.rollouts`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from rollout.domain.composite_checks import check_composite_after
from rollout.domain.errors import ErrorKind, NotFoundError, RolloutError
from rollout.domain.findings import Finding
from rollout.domain.promql import promql_template_problem
from rollout.domain.simulate import KPI_NAMES
from rollout.models import Activation, Rollout, Version
from rollout.selectors import version_bundle
from rollout.services.live import composite_checked, live_checked
from rollout.services.live_network import LiveBasis, live_network_with

#: the bounds of a plan, checked here whoever asks (the API's schema and the planner's form
#: show the same): a bake of at most 30 days, at most 100 phases and 50 gates, and a gate's
#: allowed regression of at most 1,000,000%
MAX_BAKE_MINUTES = 60 * 24 * 30
MAX_PHASES = 100
MAX_GATES = 50
MAX_REGRESSION_PCT = 1e6


class RolloutRefused(RolloutError):
    """A plan or request that a check refuses; `findings` hold the plan check's errors."""

    kind = ErrorKind.CONFLICT
    shows_findings = True


class PlanRejected(RolloutRefused):
    """The plan itself is not acceptable: bad input, or the plan check's errors (API: 422)."""

    kind = ErrorKind.INVALID


class FourEyesViolation(RolloutRefused):
    """The approver is the rollout's creator (API: 403, without findings)."""

    kind = ErrorKind.FORBIDDEN
    shows_findings = False


class RolloutNotFound(NotFoundError):
    """No rollout with that id (the API answers 404)."""


@dataclass(frozen=True)
class PhasePlan:
    regions: list[str]
    bake_minutes: float = 60.0
    start_after: datetime | None = None


@dataclass(frozen=True)
class GatePlan:
    kpi: str
    max_regression_pct: float
    #: the rollout's own Prometheus query template ("" for none; see gate_sources)
    query: str = ""


def plan_digest(*, version_id: str, phases: list[PhasePlan], gates: list[GatePlan],
                on_gate_failure: str) -> str:
    """sha256 of everything an approval vouches for."""
    # Canonical values: 30 and 30.0, or a time given at +02:00 and the same instant read back
    # from the database in UTC, must hash alike or no approval could ever match.
    plan = {
        "version": version_id,
        "phases": [{"regions": list(p.regions), "bake_minutes": float(p.bake_minutes),
                    "start_after": (p.start_after.astimezone(UTC).isoformat()
                                    if p.start_after else None)}
                   for p in phases],
        # A gate's own query is in the digest only when it has one, so the digests of plans
        # made before gates had queries (and their approvals) stay what they were.
        "gates": [{"kpi": g.kpi, "max_regression_pct": float(g.max_regression_pct)}
                  | ({"query": g.query} if g.query else {})
                  for g in gates],
        "on_gate_failure": on_gate_failure,
    }
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def plan_check(*, version: Version, phases: list[PhasePlan]) -> list[Finding]:
    """The live state after every phase, and the state a rollback would restore (the one
    before the rollout), through the check catalogue. Error messages say which state."""
    bundle = version_bundle(version=version)
    if bundle is None or not version.valid:
        return [Finding(code="E101", message=f"version {version.id} is not valid")]
    basis = LiveBasis.read()
    checked = (live_checked(basis=basis)
               or composite_checked(composite=live_network_with(basis=basis)))
    findings = _labelled(checked.findings(), "before the rollout (what a rollback restores)")
    changes: dict[str, Version | None] = {}
    for index, phase in enumerate(phases):
        changes.update((region, version) for region in phase.regions)
        # Each phase is checked from the one before: only the regions it touches again.
        checked = check_composite_after(checked, live_network_with(changes=changes, basis=basis))
        findings += _labelled(checked.findings(), f"after phase {index + 1}")
    return findings


def _labelled(findings: list[Finding], label: str) -> list[Finding]:
    for item in findings:
        item.message = f"{label}: {item.message}"
    return findings


def plan_validate(*, version: Version, phases: list[PhasePlan], gates: list[GatePlan],
                  on_gate_failure: str) -> None:
    if not version.valid:
        raise PlanRejected(f"version {version.id} has {version.error_count} error(s) and can "
                             "never be rolled out")
    if not phases:
        raise PlanRejected("a rollout needs at least one phase")
    if len(phases) > MAX_PHASES:
        raise PlanRejected(f"a rollout has at most {MAX_PHASES} phases, got {len(phases)}")
    if len(gates) > MAX_GATES:
        raise PlanRejected(f"a rollout has at most {MAX_GATES} gates, got {len(gates)}")
    known = set(version.stats.get("region_codes", []))
    seen: set[str] = set()
    for number, phase in enumerate(phases, start=1):
        if not phase.regions:
            raise PlanRejected(f"phase {number} has no regions")
        for region in phase.regions:
            if region not in known:
                raise PlanRejected(f"phase {number}: version {version.id} has no region "
                                     f"{region!r} (it has {', '.join(sorted(known))})")
            if region in seen:
                raise PlanRejected(f"phase {number}: region {region} is in two phases")
            seen.add(region)
        if not 0 <= phase.bake_minutes <= MAX_BAKE_MINUTES:  # NaN is refused too
            raise PlanRejected(f"phase {number}: bake time must be 0 to {MAX_BAKE_MINUTES:,} "
                               f"minutes (30 days), got {phase.bake_minutes:g}")
    for gate in gates:
        if gate.kpi not in KPI_NAMES:
            raise PlanRejected(f"gate on unknown KPI {gate.kpi!r} "
                                 f"(known: {', '.join(KPI_NAMES)})")
        if not 0 <= gate.max_regression_pct <= MAX_REGRESSION_PCT:
            raise PlanRejected(f"gate {gate.kpi}: max regression must be 0 to "
                               f"{MAX_REGRESSION_PCT:,.0f}%, got {gate.max_regression_pct:g}")
        if gate.query:
            problem = promql_template_problem(gate.query)
            if problem:
                raise PlanRejected(f"gate {gate.kpi}: {problem}")
            if not settings.RRM_PROMETHEUS_URL:
                raise PlanRejected(f"gate {gate.kpi} has a Prometheus query but "
                                   "RRM_PROMETHEUS_URL is not set: it could never pass")
    if on_gate_failure not in Rollout.OnGateFailure.values:
        raise PlanRejected("on_gate_failure must be rollback or pause")


def plan_read(*, rollout: Rollout) -> tuple[list[PhasePlan], list[GatePlan]]:
    phases = [PhasePlan(regions=list(p.regions), bake_minutes=p.bake_minutes,
                        start_after=p.start_after) for p in rollout.phases.order_by("index")]
    gates = [GatePlan(kpi=g.kpi, max_regression_pct=g.max_regression_pct, query=g.query)
             for g in rollout.gates.order_by("id")]
    return phases, gates


@dataclass(frozen=True)
class CheckedPlan:
    """A plan check done without holding the rollout's lock (it takes seconds at national
    scale), with what it was done against, so the locked part can confirm nothing moved."""

    digest: str
    newest_activation: int
    errors: list[Finding]


def plan_check_unlocked(*, rollout_id: int) -> CheckedPlan:
    rollout = Rollout.objects.filter(id=rollout_id).select_related("version").first()
    if rollout is None:
        raise RolloutNotFound(f"no rollout {rollout_id}")
    newest = Activation.objects.order_by("-id").values_list("id", flat=True).first() or 0
    phases_plan, gates = plan_read(rollout=rollout)
    errors = [f for f in plan_check(version=rollout.version, phases=phases_plan)
              if f.severity == "error"]
    return CheckedPlan(plan_digest(version_id=rollout.version_id, phases=phases_plan, gates=gates,
                                   on_gate_failure=rollout.on_gate_failure), newest, errors)


def plan_check_confirm(*, rollout: Rollout, checked: CheckedPlan) -> None:
    """Under the lock: the plan and the live network are still what was checked."""
    phases_plan, gates = plan_read(rollout=rollout)
    digest = plan_digest(version_id=rollout.version_id, phases=phases_plan, gates=gates,
                         on_gate_failure=rollout.on_gate_failure)
    if digest != rollout.plan_digest:
        raise RolloutRefused("the plan changed since it was checked; edit it again")
    if digest != checked.digest:
        raise RolloutRefused("the plan changed while it was being checked; try again")
    newest = Activation.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if newest != checked.newest_activation:
        raise RolloutRefused("the live network changed while the plan was being checked; "
                             "try again")
    if checked.errors:
        raise PlanRejected("the plan check failed against the live network now",
                             checked.errors)
