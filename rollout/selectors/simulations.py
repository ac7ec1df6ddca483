"""Simulations besides the simulation service: how many cached runs a version has (so the
simulation page can say whether a comparison was computed now or came from the cache), and the
simulation jobs a "computing…" page waits for."""

from __future__ import annotations

from rollout.models import SimulationJob, SimulationRun, Version


def simulation_run_count(*, version: Version) -> int:
    """The number of cached simulation runs stored for `version` (one per demand)."""
    return SimulationRun.objects.filter(version=version).count()


def simulation_jobs(*, ids: list[int]) -> list[SimulationJob]:
    """The simulation jobs with those ids (unknown ids are left out), by id."""
    if not ids:
        return []
    return list(SimulationJob.objects.filter(id__in=ids).order_by("id"))
