"""The two bundles being compared, each with the indexes the diff reads, and their common zones."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rollout.domain.assignment import NO_REGION, Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex
from rollout.domain.paths import ZoneRoutes, zone_routes
from rollout.domain.routing import ZoneRouter


@dataclass
class Side:
    """One bundle with the indexes the diff reads."""

    bundle: Bundle
    net: NetworkIndex
    assignment: Assignment
    router: ZoneRouter

    @classmethod
    def of(cls, bundle: Bundle) -> Side:
        net = NetworkIndex(bundle.network)
        assignment = Assignment(bundle, net)
        return cls(bundle, net, assignment, ZoneRouter(assignment))

    @cached_property
    def routes(self) -> ZoneRoutes:
        """Every zone's candidates and first candidate's path (the one route semantics)."""
        return zone_routes(self.router)

    def zone_region_codes(self) -> np.ndarray:
        """Per zone position, its region code (None for no region), as an object array."""
        # NO_REGION (-1) indexes the appended None.
        codes = np.array([*self.assignment.region_codes, None], dtype=object)
        return codes[self.assignment.zone_region]

    def facility_region(self, position: int) -> str | None:
        region = int(self.assignment.facility_region[position])
        return None if region == NO_REGION else self.assignment.region_codes[region]


@dataclass
class CommonZones:
    """The zone ids on both sides, sorted, with their positions in each network."""

    ids: list[str]
    old_rows: np.ndarray
    new_rows: np.ndarray

    @classmethod
    def of(cls, before: Side, after: Side) -> CommonZones:
        old, new = before.net.zones.position, after.net.zones.position
        ids = sorted(old.keys() & new.keys())
        return cls(ids, np.array([old[z] for z in ids], dtype=np.int64),
                   np.array([new[z] for z in ids], dtype=np.int64))
