"""Per-token write rate limit (RRM_WRITE_RATE_PER_MINUTE): the write past the limit answers 429
with Retry-After; reads are not limited; rollbacks are never limited."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest
from pytest_django.fixtures import Settings

from rollout.api import ratelimit
from rollout.models import Version
from tests.api.helpers import ApiClient, files_body
from tests.rollout_factories import (
    Clock,
    People,
    live_versions,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]
#: 20 s into a minute: a fixed clock, so that three requests never straddle two windows.
NOW = 1_800_000_000.0 + 20


@pytest.fixture(autouse=True)
def two_writes_a_minute(settings: Settings,
                        monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.RRM_WRITE_RATE_PER_MINUTE = 2
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: NOW))
    yield


def post_version(client: ApiClient, message: str) -> int:
    return int(client.post("/versions", {"files": files_body(),
                                         "message": message}).status_code)


def test_write__third_within_a_minute__429_with_retry_after(as_role: AsRole) -> None:
    # Given an editor token that wrote twice this minute
    editor = as_role("editor")
    assert [post_version(editor, "one"), post_version(editor, "two")] == [201, 200]

    # When it writes a third time
    response = editor.post("/versions", {"files": files_body(), "message": "three"})

    # Then it is told to wait until the minute is over, and nothing happened
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    assert "too many write requests" in response.json()["detail"]
    assert Version.objects.count() == 1


def test_write__next_minute__allowed_again(as_role: AsRole,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    editor = as_role("editor")
    assert [post_version(editor, m) for m in ("1", "2", "3")] == [201, 200, 429]

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: NOW + 60))

    assert post_version(editor, "4") == 200


def test_write__limit_is_per_token__another_token_still_writes(as_role: AsRole,
                                                              who: People) -> None:
    original_version()
    editor, operator = as_role("editor"), as_role("operator")
    assert [post_version(editor, m) for m in ("1", "2", "3")] == [200, 200, 429]

    response = operator.post("/regions/NE/observations", {"values": {"trucks": 1}})

    assert response.status_code == 201


def test_read__many_within_a_minute__never_limited(as_role: AsRole) -> None:
    editor = as_role("editor")
    assert [post_version(editor, m) for m in ("1", "2", "3")] == [201, 200, 429]

    statuses = {editor.get("/versions").status_code for _ in range(10)}
    routed = editor.post("/route", {"zones": ["070"]})

    # (POST /simulate is a write: it is limited, tests/api/test_simulate_limits.py)
    assert statuses == {200}
    assert routed.status_code == 200


def test_rollback__after_the_limit__never_limited(as_role: AsRole, who: People) -> None:
    # Given an operator who used up the minute's writes, mid-rollout
    original = original_version()
    make_live(original)
    rollout = rollout_factory(rerouted_version(), ["NE"], ["MA", "SE"], who=who, state="running")
    from rollout.services.engine import rollout_advance

    rollout_advance(rollout_id=rollout.id, now=Clock().now)
    operator = as_role("operator")
    for trucks in (1, 2):
        assert operator.post("/regions/NE/observations",
                             {"values": {"trucks": trucks}}).status_code == 201
    assert operator.post(f"/rollouts/{rollout.id}/pause").status_code == 429

    # When they roll the rollout back, then one region on its own
    rolled = operator.post(f"/rollouts/{rollout.id}/rollback", {"reason": "numbers down"})
    region = operator.post("/regions/MA/rollback", {"version": None, "reason": "MA out"})

    # Then both go through
    assert (rolled.status_code, region.status_code) == (200, 200)
    assert live_versions() == {"NE": original.id, "MA": None, "SE": original.id}
