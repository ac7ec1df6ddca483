"""Answers "which FCs serve zone Z right now, along which path" from the live state."""

from __future__ import annotations

import numpy as np

from rollout.domain.bundle import Bundle
from rollout.domain.composite import CompositeState
from rollout.domain.gcpause import freeze_long_lived, gc_paused
from rollout.services.live import LiveState, live_state


class RouteIndex:
    """Answers "which FCs serve zone Z right now, along which path" from one composite state.

    Built once per change of the live activations: every live zone's answer is computed then,
    in one batch (`route_answers`), so a lookup, warm or first, is a dict lookup. `answers`
    holds them by zone id (read-only).
    """

    def __init__(self, state: LiveState) -> None:
        self.state = state
        self.answers = route_answers(state.composite)

    def lookup(self, zone: str) -> dict[str, object] | None:
        """{"zone", "region", "version", "fcs", "path"}, or None when the zone is not live."""
        return self.answers.get(zone)


def route_answers(composite: CompositeState) -> dict[str, dict[str, object]]:
    """Every live zone's answer {"zone", "region", "version", "fcs", "path"}: its candidates and
    its first candidate's path (empty when broken) from `paths.zone_routes`, for all zones at
    once. Answers with the same candidates or path share those lists: treat them as read-only."""
    bundle = composite.bundle
    if bundle is None or not composite.zone_owner:
        return {}
    # Tens of thousands of small dicts and lists that all stay alive: the cyclic collector
    # would scan them again and again for nothing (about a third of the build, measured).
    with gc_paused():
        return _answers(composite, bundle)


def _answers(composite: CompositeState, bundle: Bundle) -> dict[str, dict[str, object]]:
    from rollout.domain.assignment import Assignment
    from rollout.domain.network import NetworkIndex
    from rollout.domain.paths import zone_routes
    from rollout.domain.routing import ZoneRouter

    net = NetworkIndex(bundle.network)
    routes = zone_routes(ZoneRouter(Assignment(bundle, net)))
    assert routes.candidates is not None  # built with candidates
    ids = net.facility_ids
    # Zones share candidate lists and paths: make each distinct one once. Rows are compared as
    # raw bytes (a void view): several times faster than np.unique(axis=0).
    matrix = np.ascontiguousarray(routes.candidates)
    width = max(matrix.shape[1], 1)
    if matrix.shape[1] == 0:
        matrix = np.full((len(matrix), 1), -1, dtype=np.int64)
    rows_as_bytes = matrix.view(np.dtype((np.void, matrix.dtype.itemsize * width))).ravel()
    _, first, inverse = np.unique(rows_as_bytes, return_index=True, return_inverse=True)
    rows = matrix[first]
    fcs = [[ids[c] for c in row if c >= 0] for row in rows.tolist()]
    paths = [[ids[f] for f in path] for path in routes.paths.positions] + [[]]
    zone_path = routes.zone_path.tolist()  # NO_PATH (-1) reads the trailing empty path
    row_of_zone = inverse.reshape(-1).tolist()
    position = net.zones.position
    versions = composite.region_versions
    answers: dict[str, dict[str, object]] = {}
    for zone, region in composite.zone_owner.items():
        at = position.get(zone)
        if at is None:
            continue
        answers[zone] = {"zone": zone, "region": region, "version": versions[region],
                         "fcs": fcs[row_of_zone[at]], "path": paths[zone_path[at]]}
    return answers


_route_index: RouteIndex | None = None


def route_lookup(zone: str) -> dict[str, object] | None:
    """The live route of a zone, from the cached composite state."""
    global _route_index
    state = live_state()
    index = _route_index
    if index is None or index.state is not state:
        index = RouteIndex(state)
        _route_index = index
        freeze_long_lived()  # the answers live until the next activation: no need to scan them
    return index.lookup(zone)
