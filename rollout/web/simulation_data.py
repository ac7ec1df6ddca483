"""What the simulation page reads besides the simulation service: how many cached runs a
version has (so the page can say whether a comparison was computed now or came from the cache)."""

from __future__ import annotations

from rollout.models import SimulationRun, Version


def simulation_run_count(*, version: Version) -> int:
    """The number of cached simulation runs stored for `version` (one per demand)."""
    return SimulationRun.objects.filter(version=version).count()
