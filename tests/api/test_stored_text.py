"""Free text that cannot be stored (a NUL character): a clear 4xx with a JSON detail, never a
500, and nothing stored (DESIGN section 7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rollout.models import Activation, AuditEvent, Rollout, Version
from tests.api.helpers import ApiClient, files_body
from tests.rollout_factories import (
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]


# --- text that cannot be stored ------------------------------------------------------------


@pytest.mark.parametrize("message", ["fix\x00routing", "\x00"], ids=["inside", "alone"])
def test_post_versions__nul_in_the_message__400_naming_it_nothing_stored(
        as_role: AsRole, who: People, message: str) -> None:
    # When an editor posts a bundle whose message holds a NUL (PostgreSQL cannot store one)
    response = as_role("editor").post("/versions", {"files": files_body(), "message": message})

    # Then it is refused with a clear answer, and nothing is stored
    assert response.status_code == 400
    assert "message contains a NUL character" in response.json()["detail"]
    assert not Version.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="version").exists()


def test_post_rollback__nul_in_the_reason__422_naming_it_rollout_untouched(
        as_role: AsRole, who: People) -> None:
    # Given a running rollout
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who, state="running")

    # When an operator rolls it back with a NUL in the reason
    response = as_role("operator").post(f"/rollouts/{rollout.id}/rollback",
                                        {"reason": "bad\x00gate"})

    # Then the reason is refused, with where it is, and the rollout still runs
    assert response.status_code == 422
    assert "NUL character" in str(response.json()["detail"])
    assert Rollout.objects.get(id=rollout.id).state == "running"


def test_post_region_rollback__nul_in_the_reason__422_nothing_activated(
        as_role: AsRole, who: People) -> None:
    version = original_version()
    make_live(version)
    before = Activation.objects.count()

    response = as_role("operator").post("/regions/NE/rollback",
                                        {"version": version.id, "reason": "\x00"})

    assert response.status_code == 422 and "NUL character" in str(response.json()["detail"])
    assert Activation.objects.count() == before
