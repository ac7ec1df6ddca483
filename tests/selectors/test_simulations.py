"""Simulation reads for the simulation page: cached runs per version, and jobs by id."""

from __future__ import annotations

import pytest

from rollout.models import SimulationJob
from rollout.selectors.simulations import simulation_jobs, simulation_run_count
from rollout.services.kpis import simulation_run
from tests.rollout_factories import original_version, rerouted_version

pytestmark = pytest.mark.django_db


def test_simulation_run_count__one_version_simulated__counted_for_it_only() -> None:
    simulated, other = original_version(), rerouted_version()
    simulation_run(version=simulated)
    assert (simulation_run_count(version=simulated), simulation_run_count(version=other)) == (
        1, 0)


def test_simulation_jobs__ids_some_unknown__known_ones_by_id() -> None:
    version = original_version()
    second = SimulationJob.objects.create(version=version, request_key="b")
    first = SimulationJob.objects.create(version=version, request_key="a")
    ids = sorted([first.id, second.id])
    assert [j.id for j in simulation_jobs(ids=[*reversed(ids), 999_999])] == ids
    assert simulation_jobs(ids=[]) == []
