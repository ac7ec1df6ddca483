"""Answers "which FCs serve zone Z right now, along which path" from the live state.

The answers come from the live table (`rollout.domain.live_table`): every zone's candidates and
path, computed once per stored version in one batch by the one route semantics
(`paths.zone_routes`), and the owner of each zone, stored by the writer of each activation. So
a lookup, the first after an activation or any later one, is a lookup in arrays that are loaded,
not computed; a zone asked before is a dict lookup.
"""

from __future__ import annotations

from collections.abc import Iterable

from rollout.services.live import live_state


def route_lookup(*, zone: str) -> dict[str, object] | None:
    """{"zone", "region", "version", "fcs", "path"} of a live zone, or None when it is not
    live (a broken path is the empty path)."""
    return live_state().route(zone)


def route_lookup_many(*, zones: Iterable[str]) -> tuple[list[dict[str, object]], list[str]]:
    """The answers of the live zones among `zones` and the zones not live, in the order asked,
    all from one live state."""
    return live_state().routes(zones)
