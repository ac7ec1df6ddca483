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
from dataclasses import dataclass
from typing import Any

from rollout.domain.demand import generate_orders
from rollout.domain.design.proposal import proposal_bundle
from rollout.domain.design.regions import DesignError, DesignRequest, RegionDesign
from rollout.domain.design.regions import region_design as design_propose
from rollout.domain.kpis import delta_of
from rollout.domain.simulate import simulate
from rollout.models import Version
from rollout.services.kpis import simulation_bundle

logger = logging.getLogger(__name__)

#: The longest the solver may be given (seconds).
MAX_TIME_LIMIT = 120.0


@dataclass
class DesignOutcome:
    """A proposal for a version and the KPIs of both."""

    version: Version
    request: DesignRequest
    design: RegionDesign
    kpis: dict[str, Any]

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
            "constraints": {
                "regions": self.request.regions, "keep": list(self.request.keep),
                "max_moves": self.request.max_moves, "headroom": self.request.headroom,
                "contiguous": self.request.contiguous, "balance": self.request.balance,
            },
            "objective_km": round(design.objective, 1),
            "seconds": round(design.seconds, 3),
        }


def region_design(*, version: Version, regions: int, keep: tuple[str, ...] = (),
                  max_moves: int | None = None, headroom: float = 0.0,
                  contiguous: bool = False, balance: float | None = None,
                  time_limit: float = 5.0) -> DesignOutcome:
    """Propose `regions` regions for the version's network and simulate them beside it.

    Raises `SimulationRefused` for a version with errors, `DesignError` for unusable
    constraints, `DemandError` when a simulation would exceed its bounds.
    """
    if not 0 < time_limit <= MAX_TIME_LIMIT:
        raise DesignError(f"the time limit must be above 0 and at most {MAX_TIME_LIMIT:g} s, "
                          f"got {time_limit:g}")
    bundle = simulation_bundle(version=version)
    request = DesignRequest(regions=regions, keep=keep, max_moves=max_moves, headroom=headroom,
                            contiguous=contiguous, balance=balance, time_limit=time_limit)
    design = design_propose(bundle=bundle, request=request)
    orders = generate_orders(bundle)
    before = simulate(bundle, orders).as_dict()
    after = simulate(proposal_bundle(bundle=bundle, design=design), orders).as_dict()
    logger.info("design.proposed version_id=%s regions=%d moved=%d violations=%d seconds=%.3f",
                version.id, regions, len(design.moved_zones), len(design.violations),
                design.seconds)
    return DesignOutcome(version=version, request=request, design=design,
                         kpis={"base": before, "proposal": after,
                               "delta": delta_of(before, after)})
