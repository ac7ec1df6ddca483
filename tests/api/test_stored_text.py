"""Free text that cannot be stored (a NUL character) and request bodies past the size limit:
a clear 4xx with a JSON detail, never a 500, and nothing stored (DESIGN section 7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from pytest_django.fixtures import Settings

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


# --- request body size ---------------------------------------------------------------------


def test_post_versions__file_over_the_old_2_5_mib_body_limit__201_stored(
        as_role: AsRole, who: People) -> None:
    # Given the example with 3 MiB of comments in network.yaml (files up to RRM_MAX_FILE_BYTES,
    # 50 MiB, are allowed)
    files = files_body()
    files["network.yaml"] += "# padding\n" * (3 * 1024 * 1024 // 10)
    assert len(files["network.yaml"]) > 3 * 1024 * 1024

    # When an editor posts it
    response = as_role("editor").post("/versions", {"files": files, "message": "big"})

    # Then it is stored
    assert response.status_code == 201 and response.json()["valid"] is True


def test_post__body_over_the_limit__400_json_detail_nothing_stored(
        as_role: AsRole, who: People, settings: Settings) -> None:
    # Given a small request body limit
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    # When an editor posts a bundle larger than that
    files = files_body()
    files["network.yaml"] += "# padding\n" * 2_000
    response = as_role("editor").post("/versions", {"files": files, "message": "too big"})

    # Then the answer is the API's JSON error, saying the limit
    assert response.status_code == 400 and response["Content-Type"].startswith(
        "application/json")
    assert "larger than 10,000 bytes" in response.json()["detail"]
    assert not Version.objects.exists()


def test_settings__request_body_limit__holds_a_file_at_the_file_limit_as_json() -> None:
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= 2 * django_settings.RRM_MAX_FILE_BYTES
