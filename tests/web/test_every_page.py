"""Every URL of the operator UI, found from its URLconf, so a new page cannot skip these rules:
anonymous visitors are sent to the login page (GET and POST), a user with no role is refused,
and no page links anything from another host."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from rollout.web import urls as web_urls
from tests.factories import user_factory
from tests.rollout_factories import (
    make_live,
    moved_282_version,
    original_version,
    people,
    rollout_factory,
)
from tests.web.helpers import assert_login_redirect, client_as, external_references

pytestmark = pytest.mark.django_db

#: every page (the favicon is a static file every browser may fetch, logged in or not)
PATTERNS: list[URLPattern] = [p for p in web_urls.urlpatterns
                              if isinstance(p, URLPattern) and p.name != "favicon"]


def _arguments() -> dict[str, Any]:
    who = people()
    original, moved = original_version(), moved_282_version()
    make_live(original)
    rollout = rollout_factory(moved, ["NE"], ["MA", "SE"], who=who)
    return {
        "who": who,
        "kwargs": {"ref": moved.id, "a": original.id, "b": moved.id, "code": "NE",
                   "rollout_id": rollout.id, "token_id": 1, "name": "regions.yaml",
                   "action": "approve", "phase_number": 1, "job_id": 1},
    }


def _url(pattern: URLPattern, kwargs: dict[str, Any]) -> str:
    needed = {name: kwargs[name] for name in pattern.pattern.regex.groupindex}
    return reverse(f"web:{pattern.name}", kwargs=needed)


def test_every_page__anonymous__is_sent_to_login() -> None:
    # Given every page of the UI with real arguments
    data = _arguments()
    anonymous = Client()
    assert PATTERNS, "the UI has no pages"
    for pattern in PATTERNS:
        url = _url(pattern, data["kwargs"])
        # When an anonymous visitor asks for it, Then the answer is the login page
        assert_login_redirect(anonymous.get(url))
        assert_login_redirect(anonymous.post(url, {}))


def test_every_page__user_without_a_role__is_refused() -> None:
    data = _arguments()
    nobody = client_as(user_factory("norole"))
    for pattern in PATTERNS:
        url = _url(pattern, data["kwargs"])
        response = nobody.get(url)
        assert response.status_code in (403, 405), (url, response.status_code)


def test_every_page__viewer__links_nothing_from_another_host() -> None:
    # Given every page a viewer may open
    data = _arguments()
    viewer = client_as(data["who"].viewer)
    seen = 0
    for pattern in PATTERNS:
        url = _url(pattern, data["kwargs"])
        response = viewer.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        # Then nothing on it would be fetched from outside this server
        assert external_references(response.content.decode()) == [], url
    assert seen >= 5
