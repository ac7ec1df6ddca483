"""Gates judged on observations: the gate result keeps the observation it was judged on, and
the rollout page shows its source and the token that posted it."""

from __future__ import annotations

import pytest

from rollout.models import GateResult, Rollout
from rollout.services.engine import rollout_advance
from rollout.services.kpis import kpi_observation_record
from rollout.services.roles import Role, role_grant
from rollout.services.rollouts import GatePlan
from rollout.services.tokens import token_create
from tests.factories import user_factory
from tests.rollout_factories import (
    Clock,
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)
from tests.web.helpers import client_as

pytestmark = pytest.mark.django_db

BAKE = 30.0


def running_rollout(who: People) -> Rollout:
    """The original live everywhere; phase 1 (NE) of the rerouted version activated, baking."""
    make_live(original_version())
    return rollout_factory(rerouted_version(), ["NE"], ["MA", "SE"], who=who, state="running",
                           bake_minutes=BAKE, gates=[GatePlan("in_region_pct", 2.0)])


def test_gate_result__judged_on_an_observation__keeps_it_and_the_page_shows_source_and_token(
        who: People) -> None:
    # Given phase 1 baking, and monitoring posting NE's in-region share with its observer token
    rollout = running_rollout(who)
    clock = Clock()
    rollout_advance(rollout_id=rollout.id, now=clock.now)
    monitoring = user_factory("monitoring")
    role_grant(user=monitoring, role=Role.OBSERVER)
    token, _ = token_create(user=monitoring, role=Role.OBSERVER, name="prometheus bridge")
    observation = kpi_observation_record(region="NE", values={"in_region_pct": 0.5},
                                         actor=monitoring, source_system="prometheus",
                                         observed_at=clock.advance(10), token_id=token.id)

    # When the bake ends and the gate is judged
    rollout_advance(rollout_id=rollout.id, now=clock.advance(BAKE))

    # Then the gate result names the observation, and the rollout page its source and token
    gate = GateResult.objects.get(region="NE")
    assert gate.source == "observed" and gate.observation == observation
    page = client_as(who.viewer).get(f"/rollouts/{rollout.id}/").content.decode()
    assert f"observed (prometheus · token rrm_{token.prefix}_…)" in page


def test_gate_result__judged_on_the_simulation__no_observation_named(who: People) -> None:
    # Given phase 1 baking with no observation
    rollout = running_rollout(who)
    clock = Clock()
    rollout_advance(rollout_id=rollout.id, now=clock.now)

    # When the bake ends
    rollout_advance(rollout_id=rollout.id, now=clock.advance(BAKE))

    # Then the gate was judged on the simulation, and the page says just that
    gate = GateResult.objects.get(region="NE")
    assert gate.source == "simulation" and gate.observation is None
    page = client_as(who.viewer).get(f"/rollouts/{rollout.id}/").content.decode()
    assert '<span class="muted small">simulation: ' in page
