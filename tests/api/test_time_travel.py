"""GET /active?at=T and GET /route?zone=Z&at=T: the composite state and a zone's route as they
were at an instant (rollout/services/live_history.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.helpers import ApiClient
from tests.rollout_factories import TICK, People, history_story

pytestmark = pytest.mark.django_db


def test_api__active_and_route_at__the_past_answers(who: People, tokens: Any) -> None:
    h = history_story(who)
    client = ApiClient(tokens.viewer)
    phase1 = h["rows"]["phase1"][-1].created_at
    before = (phase1 - TICK).isoformat().replace("+00:00", "Z")

    active = client.get("/active", {"at": before})
    route = client.get("/route", {"zone": "070", "at": before})
    now = client.get("/route", {"zone": "070"})

    assert active.status_code == 200
    assert active.json()["regions"]["NE"]["version"] == h["original"]
    assert active.json()["sequence"] == h["rows"]["activate"][-1].id
    assert route.status_code == 200 and route.json()["version"] == h["original"]
    assert now.json()["version"] == h["original"]  # after the one-click rollback


def test_api__at_before_anything__404_route_and_empty_active(who: People, tokens: Any) -> None:
    h = history_story(who)
    client = ApiClient(tokens.viewer)
    early = (h["first"] - timedelta(hours=1)).isoformat()

    route = client.get("/route", {"zone": "070", "at": early})
    active = client.get("/active", {"at": early})

    assert route.status_code == 404 and "was not live" in route.json()["detail"]
    assert active.status_code == 200 and active.json()["regions"] == {}


@pytest.mark.parametrize("at", ["2999-01-01T00:00:00Z", "soon"])
def test_api__at_in_the_future_or_unreadable__400(who: People, tokens: Any, at: str) -> None:
    client = ApiClient(tokens.viewer)

    assert client.get("/active", {"at": at}).status_code == 400
    assert client.get("/route", {"zone": "070", "at": at}).status_code == 400
