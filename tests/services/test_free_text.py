"""Written reasons that cannot be stored (a NUL character, which PostgreSQL refuses in text) are
refused by the services themselves, whichever entry point passed them: nothing is changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rollout.domain.text import ReasonRejected
from rollout.models import Activation, FreezeWindow, Rollout
from rollout.services.activations import region_rollback
from rollout.services.freezes import freeze_create, freeze_end, phase_freeze_override
from rollout.services.roles import Role, role_grant
from rollout.services.rollouts import rollout_rollback
from tests.rollout_factories import (
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)
from tests.web.helpers import client_as

pytestmark = pytest.mark.django_db

NUL_REASON = "gate\x00failed"


def running(who: People) -> Rollout:
    make_live(original_version())
    return rollout_factory(rerouted_version(), ["NE"], who=who, state="running")


def test_rollout_rollback__nul_in_the_reason__refused_rollout_still_running(
        who: People) -> None:
    rollout = running(who)

    with pytest.raises(ReasonRejected, match="the reason contains a NUL character"):
        rollout_rollback(rollout_id=rollout.id, actor=who.operator, reason=NUL_REASON)

    assert Rollout.objects.get(id=rollout.id).state == "running"


def test_rollout_rollback__blank_reason__still_asks_for_one(who: People) -> None:
    rollout = running(who)

    with pytest.raises(ReasonRejected, match="a rollback needs a reason"):
        rollout_rollback(rollout_id=rollout.id, actor=who.operator, reason="  ")


def test_region_rollback__nul_in_the_reason__refused_nothing_activated(who: People) -> None:
    version = original_version()
    make_live(version)
    before = Activation.objects.count()

    with pytest.raises(ReasonRejected, match="NUL character"):
        region_rollback(region="NE", version=version, reason=NUL_REASON, actor=who.operator)

    assert Activation.objects.count() == before


def test_freezes__nul_in_a_reason__create_end_and_override_refused(who: People) -> None:
    # Given an approver-operator and an upcoming freeze
    role_grant(user=who.approver, role=Role.OPERATOR)
    now = timezone.now()
    window = freeze_create(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2),
                           reason="peak", actor=who.approver)
    rollout = running(who)

    # When each freeze action is given a reason with a NUL
    # Then each is refused, and the freeze is as it was
    with pytest.raises(ReasonRejected, match="NUL character"):
        freeze_create(starts_at=now, ends_at=now + timedelta(hours=1), reason=NUL_REASON,
                      actor=who.approver)
    with pytest.raises(ReasonRejected, match="NUL character"):
        freeze_end(window_id=window.id, reason=NUL_REASON, actor=who.approver)
    with pytest.raises(ReasonRejected, match="NUL character"):
        phase_freeze_override(rollout_id=rollout.id, phase_number=1, reason=NUL_REASON,
                              actor=who.approver)
    assert list(FreezeWindow.objects.values_list("reason", flat=True)) == ["peak"]


def test_rollback_button__nul_in_the_reason__page_says_why_rollout_still_running(
        who: People) -> None:
    # Given a running rollout and an operator's browser posting the rollback form by hand
    rollout = running(who)

    # When the reason holds a NUL
    response = client_as(who.operator).post(f"/rollouts/{rollout.id}/rollback/",
                                            {"reason": NUL_REASON},
                                            headers={"Accept": "application/json"})

    # Then the answer says why (no server error) and nothing was rolled back
    assert response.status_code == 422 and "NUL character" in response.json()["detail"]
    assert Rollout.objects.get(id=rollout.id).state == "running"
