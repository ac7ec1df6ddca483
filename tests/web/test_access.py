"""The role gate answers scripts in JSON: a fetch must never follow a redirect to the login
page and take that page for a successful action."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.factories import user_factory
from tests.rollout_factories import People, original_version, rollout_factory
from tests.web.helpers import client_as

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}


def test_action_from_a_script__session_ended__is_401_json_and_changes_nothing(
        who: People) -> None:
    # Given a running rollout and a page whose session has ended
    rollout = rollout_factory(original_version(), ["NE"], who=who, state="running")
    # When its script posts the rollback
    response = Client().post(f"/rollouts/{rollout.id}/rollback/", {"reason": "x"}, headers=JSON)
    # Then the answer says so in JSON, and nothing was rolled back
    assert response.status_code == 401
    assert "session has ended" in json.loads(response.content)["detail"]
    rollout.refresh_from_db()
    assert rollout.state == "running"


def test_action_from_a_script__user_without_the_role__is_403_json(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who, state="running")
    response = client_as(user_factory("norole")).post(
        f"/rollouts/{rollout.id}/pause/", {}, headers=JSON)
    assert response.status_code == 403
    assert "role" in json.loads(response.content)["detail"]


def test_page_from_a_browser__session_ended__still_redirects_to_login(who: People) -> None:
    response = Client().get("/rollouts/", HTTP_ACCEPT="text/html,application/json;q=0.9")
    assert response.status_code == 302
