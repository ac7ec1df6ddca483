"""The rollback dialog lists exactly what the one click then does (one rule: rollback_targets)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rollout.domain.lifecycle import StepKind
from rollout.models import Activation, Rollout
from rollout.services.engine import rollout_advance
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

JSON = {"HTTP_ACCEPT": "application/json"}


def _advance_until_phases_live(rollout: Rollout, clock: Clock, phases: int) -> None:
    """Run the engine until `phases` phases have been activated (the next one still pending)."""
    while rollout.phases.exclude(activated_at=None).count() < phases:
        step = rollout_advance(rollout_id=rollout.id, now=clock.now)
        if step.kind == StepKind.WAIT:
            assert step.due_at is not None
            clock.now = max(clock.now, step.due_at)
        assert step.kind != StepKind.NONE, "the rollout stopped before its phases went live"


def _dialog(who: People, rollout: Rollout) -> list[dict[str, Any]]:
    response = client_as(who.operator).get(f"/rollouts/{rollout.id}/status.json")
    assert response.status_code == 200
    changes: list[dict[str, Any]] = json.loads(response.content)["rollback_changes"]
    return changes


def test_rollback_dialog__mixed_regions__lists_exactly_what_the_click_then_activates(
        who: People) -> None:
    # Given NE and MA live on the original, SE never live, and a rollout of the rerouted
    # version whose phases 1 (NE) and 2 (SE) went live while phase 3 (MA) has not
    original = original_version()
    make_live(original, ["NE", "MA"])
    rollout = rollout_factory(rerouted_version(), ["NE"], ["SE"], ["MA"], who=who,
                              state="running", bake_minutes=5)
    _advance_until_phases_live(rollout, Clock(), phases=2)

    # When the operator opens the dialog, then clicks
    listed = _dialog(who, rollout)
    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/rollback/",
                                             {"reason": "slower"}, **JSON)  # type: ignore[arg-type]

    # Then the dialog named NE back to the original and SE out of service, and MA not at all
    assert [(c["region"], c["restore"]) for c in listed] == [("NE", original.id), ("SE", None)]
    # and the click wrote exactly those activations, no more, no fewer
    assert response.status_code == 200
    done = Activation.objects.filter(rollout=rollout, kind=Activation.Kind.ROLLBACK)
    assert sorted((a.region, a.version_id) for a in done) == sorted(
        (c["region"], c["restore"]) for c in listed)
    restored = {a.region: a.restores_id for a in done}
    assert restored["SE"] is None and restored["NE"] == rollout.baseline["NE"]
