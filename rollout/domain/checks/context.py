"""What the checks share: the bundle's arrays, graph, ownership and every zone's route.

Derived data is computed once, lazily, and only if a check asks for it. Routes and their paths
come from the one route semantics in `rollout.domain.paths`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex
from rollout.domain.paths import LaneLookup, ZoneRoutes, last_mile, via_hops, zone_routes
from rollout.domain.routing import ZoneRouter


@dataclass
class CheckContext:
    bundle: Bundle
    net: NetworkIndex
    assignment: Assignment
    router: ZoneRouter

    @classmethod
    def build(cls, bundle: Bundle) -> CheckContext:
        net = NetworkIndex(bundle.network)
        assignment = Assignment(bundle, net)
        _ = net.graph  # the graph is part of the "graph" phase, not of the checks
        return cls(bundle=bundle, net=net, assignment=assignment,
                   router=ZoneRouter(assignment))

    @cached_property
    def first_candidate(self) -> np.ndarray:
        return self.router.first_candidates()

    @cached_property
    def lanes(self) -> LaneLookup:
        return LaneLookup.build(self.net)

    @cached_property
    def via_hops(self) -> dict[int, list[int] | None]:
        """Per rule with `via`: its hops as facility positions (None when a hop is unknown)."""
        return via_hops(self.net, self.bundle.routing.routes)

    @cached_property
    def fc_reach(self) -> tuple[dict[int, int], np.ndarray]:
        """(FC position -> row, reachability matrix of every FC to every facility)."""
        fcs = self.net.fc_positions
        return {int(fc): row for row, fc in enumerate(fcs)}, self.net.reachable_from(fcs)

    @cached_property
    def routes(self) -> ZoneRoutes:
        """Each zone's route from its first candidate FC to its station."""
        return zone_routes(self.router, self.lanes, first=self.first_candidate)

    @cached_property
    def zone_hours(self) -> np.ndarray:
        """Per zone: lane hours of its main path plus the last mile (NaN where it has none)."""
        return self.routes.lane_hours + last_mile(self.net)[1]

    def zone_label(self, zone: int) -> str:
        return self.net.zones.ids[zone]

    def facility_label(self, facility: int) -> str:
        return self.net.facility_ids[facility]

    def region_label(self, region: int) -> str:
        return self.assignment.region_codes[region] if region >= 0 else "no region"
