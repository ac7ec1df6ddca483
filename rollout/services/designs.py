"""Region design for a stored version: the proposal and its simulated KPIs beside the base's.

`region_design` reads the version's bundle through the selectors, asks the domain for K regions
(`rollout.domain.design.regions`) and simulates the base version and the proposal on the same
generated day of orders (`rollout.domain.simulate`), so that the numbers compare like for like.

Bounds: the solver's time limit (`time_limit`, default 5 s, at most `MAX_TIME_LIMIT`), the
repairs (see `rollout.domain.design.repair`), and two simulations whose generated demand is
bounded by `rollout.domain.demand.bounded_demand` (a `DemandError` otherwise).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from rollout.domain.bundle import Bundle
from rollout.domain.demand import Orders, generate_orders
from rollout.domain.design.files import proposal_files
from rollout.domain.design.frame import DesignError, DesignRequest
from rollout.domain.design.regions import RegionDesign
from rollout.domain.design.regions import region_design as design_propose
from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.findings import Finding
from rollout.domain.kpis import delta_of
from rollout.domain.simulate import simulate
from rollout.domain.validate import validate_files
from rollout.models import Version
from rollout.selectors.versions import version_raw_files
from rollout.services.kpis import simulation_bundle
from rollout.services.roles import Role, role_require
from rollout.services.versions import version_create

logger = logging.getLogger(__name__)

#: The longest the solver may be given (seconds).
MAX_TIME_LIMIT = 120.0


class DesignRefused(RolloutError):
    """A proposal that cannot be saved: its files do not pass the checks."""

    kind = ErrorKind.INVALID
    shows_findings = True


@dataclass
class DesignOutcome:
    """A proposal for a version and the KPIs of both."""

    version: Version
    request: DesignRequest
    design: RegionDesign
    kpis: dict[str, Any]
    #: the version's files with the proposal written in (what `region_design_save` stores)
    files: dict[str, bytes]
    #: the checks' findings on those files
    findings: list[Finding]
    #: one row per K of a sweep (`rollout.services.design_sweep`), when one was asked for
    sweep: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `manage.py design_regions --format json` (DESIGN section 11)."""
        design = self.design
        return {
            "version": self.version.id,
            "regions": [region.as_dict() for region in design.regions],
            "kpis": self.kpis,
            "moved_zones": design.moved_zones,
            "shared_facilities": design.shared,
            "violations": design.violations,
            "checks": {"errors": sum(f.severity == "error" for f in self.findings),
                       "warnings": sum(f.severity == "warning" for f in self.findings),
                       "findings": [f.as_dict() for f in self.findings[:50]]},
            "constraints": {
                "regions": self.request.regions, "keep": list(self.request.keep),
                "max_moves": self.request.max_moves, "headroom": self.request.headroom,
                "contiguous": self.request.contiguous, "balance": self.request.balance,
            },
            "objective_km": round(design.objective, 1),
            # the solver's objective (km to each region's centre FC) and how far from optimal
            "bound": {"centre_km": round(design.centre_km, 1),
                      "lower_bound_km": None if design.lower_bound is None
                      else round(design.lower_bound, 1),
                      "gap": None if design.gap is None else round(design.gap, 6)},
            "seconds": round(design.seconds, 3),
            **({"sweep": self.sweep} if self.sweep is not None else {}),
        }


#: Reports how far a design has come: (fraction 0..1, a short text such as "solving K=8").
Progress = Callable[[float, str], None]


def no_progress(fraction: float, text: str) -> None:
    """Progress nobody follows (commands, tests)."""


def progress_part(progress: Progress, start: float, width: float) -> Progress:
    """`progress` for one part of the work: its 0..1 is start..start + width of the whole."""
    def report(fraction: float, text: str) -> None:
        progress(start + width * fraction, text)

    return report


@dataclass
class DesignBase:
    """The designed version's side, computed once however many proposals are compared with it:
    its bundle, the generated day of orders, and its own simulation of that day."""

    version: Version
    bundle: Bundle
    orders: Orders
    before: dict[str, Any]
    raw_files: dict[str, bytes]


def design_base(*, version: Version) -> DesignBase:
    """The version's side of a design. Raises `SimulationRefused` for a version with errors and
    `DemandError` when its day of orders exceeds the simulation's bounds."""
    bundle = simulation_bundle(version=version)
    orders = generate_orders(bundle)
    return DesignBase(version=version, bundle=bundle, orders=orders,
                      before=simulate(bundle, orders).as_dict(),
                      raw_files=version_raw_files(version=version))


def design_request(*, regions: int, keep: tuple[str, ...] = (), max_moves: int | None = None,
                   headroom: float = 0.0, contiguous: bool = False, balance: float | None = None,
                   time_limit: float = 5.0) -> DesignRequest:
    """The domain's request, with the time limit checked against `MAX_TIME_LIMIT` (the domain
    checks the rest when it designs: `DesignError`)."""
    if not 0 < time_limit <= MAX_TIME_LIMIT:
        raise DesignError(f"the time limit must be above 0 and at most {MAX_TIME_LIMIT:g} s, "
                          f"got {time_limit:g}")
    return DesignRequest(regions=regions, keep=keep, max_moves=max_moves, headroom=headroom,
                         contiguous=contiguous, balance=balance, time_limit=time_limit)


def region_design(*, version: Version, regions: int, keep: tuple[str, ...] = (),
                  max_moves: int | None = None, headroom: float = 0.0,
                  contiguous: bool = False, balance: float | None = None,
                  keep_routing: bool = False, time_limit: float = 5.0,
                  progress: Progress = no_progress) -> DesignOutcome:
    """Propose `regions` regions for the version's network and simulate them beside it.

    The proposal is written into the version's files (`rollout.domain.design.files`) and
    simulated from those files, so a saved proposal simulates exactly as shown. Raises
    `SimulationRefused` for a version with errors, `DesignError` for unusable constraints,
    `DemandError` when a simulation would exceed its bounds, `YamlEditError` when the files
    cannot be edited in place.
    """
    request = design_request(regions=regions, keep=keep, max_moves=max_moves,
                             headroom=headroom, contiguous=contiguous, balance=balance,
                             time_limit=time_limit)
    progress(0.0, "simulating the base version")
    base = design_base(version=version)
    return design_propose_for(base=base, request=request, keep_routing=keep_routing,
                              progress=progress_part(progress, 0.1, 0.9))


def design_propose_for(*, base: DesignBase, request: DesignRequest, keep_routing: bool = False,
                       progress: Progress = no_progress) -> DesignOutcome:
    """One proposal (`request`) against an already computed base: solved, written into the
    version's files, checked, simulated on the base's day of orders. Progress goes from 0 to 1
    through "solving K=..", "checking K=..", "simulating K=..". Raises as `region_design`."""
    k = request.regions
    progress(0.0, f"solving K={k}")
    design = design_propose(bundle=base.bundle, request=request)
    progress(0.6, f"checking K={k}")
    files = proposal_files(files=base.raw_files, network=base.bundle.network, design=design,
                           keep_routing=keep_routing)
    report = validate_files(files, max_bytes=settings.RRM_MAX_FILE_BYTES)
    if report.bundle is None:
        raise DesignRefused("the proposal's files do not parse", findings=report.findings)
    progress(0.8, f"simulating K={k}")
    after = simulate(report.bundle, base.orders).as_dict()
    progress(1.0, f"done K={k}")
    logger.info("design.proposed version_id=%s regions=%d moved=%d violations=%d seconds=%.3f",
                base.version.id, k, len(design.moved_zones), len(design.violations),
                design.seconds)
    return DesignOutcome(version=base.version, request=request, design=design,
                         kpis={"base": base.before, "proposal": after,
                               "delta": delta_of(base.before, after)},
                         files=files, findings=report.findings)


def region_design_save(*, outcome: DesignOutcome, message: str,
                       author: AbstractBaseUser | None) -> Version:
    """Store the proposal as a new version, child of the designed one. The author must hold
    the editor role; a proposal whose files have errors is refused (`DesignRefused`)."""
    return design_files_save(version=outcome.version, files=outcome.files,
                             findings=outcome.findings, message=message, author=author)


def design_files_save(*, version: Version, files: dict[str, bytes], findings: list[Finding],
                      message: str, author: AbstractBaseUser | None) -> Version:
    """Store a proposal's `files` (with the checks' `findings` on them) as a new version, child
    of `version`: the author must hold the editor role; files with errors are refused
    (`DesignRefused`). The same files saved again give the same version."""
    role_require(user=author, role=Role.EDITOR)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise DesignRefused(f"the proposal has {len(errors)} error(s); it is not saved",
                            findings=errors)
    result = version_create(files=files, message=message, author=author, parent=version)
    logger.info("design.saved version_id=%s parent_id=%s created=%s", result.version.id,
                version.id, result.created)
    return result.version
