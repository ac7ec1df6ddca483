"""A design request against a network: which zones and FCs are free to design and which stay
in kept regions, and the refusals of requests no network can meet (`DesignError`). One place
for both, so the worker's design (`regions.region_design`) and the refusal before a job is
queued (`design_request_check`) can never disagree.

Bounds: one `NetworkIndex` and one `Assignment` of the bundle (linear in zones and facilities).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.network import NetworkIndex


class DesignError(RolloutError, ValueError):
    """Design arguments no network can use (K out of range, an unknown region to keep, ...)."""

    kind = ErrorKind.UNUSABLE


@dataclass(frozen=True)
class DesignRequest:
    """What to design: K regions and the constraints (see `rollout.domain.design.regions`)."""

    regions: int
    keep: tuple[str, ...] = ()
    max_moves: int | None = None
    headroom: float = 0.0
    contiguous: bool = False
    balance: float | None = None
    time_limit: float = 5.0
    seed: int = 0


@dataclass(frozen=True)
class DesignFrame:
    """The request on the bundle's network, checked."""

    net: NetworkIndex
    base: Assignment
    #: positions (in `base.region_codes`) of the regions kept as they are, sorted
    kept: np.ndarray
    #: per facility: in a kept region
    locked_facility: np.ndarray
    #: positions of the zones free to move
    free_zones: np.ndarray
    #: positions of the candidate sites: regional FCs (those a base region lists) not kept
    fcs: np.ndarray
    #: the number of regions to draw (K less the kept ones)
    p: int


def design_frame(*, bundle: Bundle, request: DesignRequest) -> DesignFrame:
    """The frame of `request` on the bundle's network; `DesignError` when no design can meet
    it (an unknown region to keep, K out of range for the free zones and FCs, a constraint out
    of range)."""
    net = NetworkIndex(bundle.network)
    base = Assignment(bundle, net)
    kept = _kept_regions(base, request)
    locked_zone = (np.isin(base.zone_region, kept) if kept.size
                   else np.zeros(net.n_zones, bool))
    locked_facility = (np.isin(base.facility_region, kept) if kept.size
                       else np.zeros(net.n_facilities, bool))
    free_zones = np.flatnonzero(~locked_zone)
    # Only regional FCs are sites: an FC no base region lists (a national one) stays shared.
    fcs = np.asarray([f for f in net.fc_positions.tolist()
                      if not locked_facility[f] and base.facility_region[f] >= 0], np.intp)
    p = request.regions - kept.size
    _check_sizes(request, p, free_zones.size, fcs.size)
    return DesignFrame(net=net, base=base, kept=kept,
                       locked_facility=locked_facility, free_zones=free_zones, fcs=fcs, p=p)


def design_request_check(*, bundle: Bundle, request: DesignRequest) -> None:
    """Raise `DesignError` now for a request the design would refuse (no solving)."""
    design_frame(bundle=bundle, request=request)


def _kept_regions(base: Assignment, request: DesignRequest) -> np.ndarray:
    unknown = [code for code in request.keep if code not in base.region_position]
    if unknown:
        raise DesignError(f"--keep names unknown region(s) {', '.join(unknown)}; the version's "
                          f"regions are {', '.join(base.region_codes)}")
    return np.asarray(sorted({base.region_position[code] for code in request.keep}), np.intp)


def _check_sizes(request: DesignRequest, p: int, free_zones: int, free_fcs: int) -> None:
    if request.regions < 1:
        raise DesignError(f"--regions must be at least 1, got {request.regions}")
    if p < 0:
        raise DesignError(f"--regions {request.regions} is fewer than the {-p + request.regions} "
                          "regions to keep")
    if p == 0 and free_zones:
        raise DesignError(f"{free_zones} zone(s) lie outside the kept regions: --regions must "
                          f"be more than the {request.regions} kept")
    if p > free_zones:
        raise DesignError(f"--regions {request.regions} leaves {p} regions to draw but only "
                          f"{free_zones} zone(s) outside the kept regions")
    if p > free_fcs:
        raise DesignError(f"--regions {request.regions} leaves {p} regions to draw but only "
                          f"{free_fcs} regional fulfilment centre(s) (listed by a base region) "
                          "outside the kept regions")
    if not 0 <= request.headroom < 1:
        raise DesignError(f"--headroom must be at least 0 and below 1, got {request.headroom}")
    if request.balance is not None and not request.balance >= 1:
        raise DesignError(f"--balance must be at least 1, got {request.balance}")
    if request.max_moves is not None and request.max_moves < 0:
        raise DesignError(f"--max-moves must not be negative, got {request.max_moves}")
    if request.time_limit <= 0:
        raise DesignError(f"the time limit must be positive, got {request.time_limit}")
