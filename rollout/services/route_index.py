"""Answers "which FCs serve zone Z right now, along which path" from the live state."""

from __future__ import annotations

from rollout.services.live import LiveState, live_state


class RouteIndex:
    """Answers "which FCs serve zone Z right now, along which path" from one composite state.

    Built once per change of the live activations; each zone's answer is computed on first
    request and kept, so a warm lookup is a dict lookup.
    """

    def __init__(self, state: LiveState) -> None:
        from rollout.domain.assignment import Assignment
        from rollout.domain.network import NetworkIndex
        from rollout.domain.routing import ZoneRouter

        self.state = state
        self._answers: dict[str, dict[str, object] | None] = {}
        self._predecessors: dict[int, object] = {}
        composite = state.composite
        if composite.bundle is None:
            self.router = None
            return
        net = NetworkIndex(composite.bundle.network)
        self.router = ZoneRouter(Assignment(composite.bundle, net))

    def lookup(self, zone: str) -> dict[str, object] | None:
        """{"zone", "region", "version", "fcs", "path"}, or None when the zone is not live."""
        if zone in self._answers:
            return self._answers[zone]
        answer = self._compute(zone)
        self._answers[zone] = answer
        return answer

    def _compute(self, zone: str) -> dict[str, object] | None:
        from rollout.domain.network import path_from_predecessors

        router, composite = self.router, self.state.composite
        region = composite.zone_owner.get(zone)
        if router is None or region is None:
            return None
        net = router.net
        position = net.zones.position[zone]
        candidates = router.candidates(position)
        fcs = [net.facility_ids[c] for c in candidates.tolist()]
        station = int(net.zone_station[position])
        path: list[str] = []
        if len(candidates) and station >= 0:
            first = int(candidates[0])
            rule = router.routes[int(router.assignment.zone_rule[position])]
            if rule.via is not None:
                path = [fcs[0], *rule.via, net.facility_ids[station]]
            else:
                predecessors = self._predecessors.get(first)
                if predecessors is None:
                    import numpy as np

                    predecessors = net.fastest_paths_from(np.array([first]))[1][0]
                    self._predecessors[first] = predecessors
                path = [net.facility_ids[f] for f in path_from_predecessors(
                    predecessors, first, station)]  # type: ignore[arg-type]
        return {"zone": zone, "region": region, "version": composite.region_versions[region],
                "fcs": fcs, "path": path}


_route_index: RouteIndex | None = None


def route_lookup(zone: str) -> dict[str, object] | None:
    """The live route of a zone, from the cached composite state."""
    global _route_index
    state = live_state()
    index = _route_index
    if index is None or index.state is not state:
        index = RouteIndex(state)
        _route_index = index
    return index.lookup(zone)
