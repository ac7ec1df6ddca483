"""The dashboard as the network was at an instant (`/?at=T`, the "as of" picker) and the audit
log's links to the network just before and just after each change."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from rollout.models import AuditEvent
from tests.rollout_factories import TICK, People, history_story
from tests.web.helpers import assert_page_ok, client_as

pytestmark = pytest.mark.django_db


def version_of(html: str, region: str) -> str:
    """The active version shown in the regions table's row of `region` ("" when not live)."""
    row = re.search(rf'<tr data-region="{region}">(.*?)</tr>', html, re.S)
    assert row is not None, f"no row for {region}"
    found = re.search(r'class="mono">([0-9a-f]{12})</a>', row.group(1))
    return found.group(1) if found else ""


def test_dashboard_at__before_the_first_phase__the_versions_then_read_only(who: People) -> None:
    # Given a history: original live, a two-phase rollout, a region and a one-click rollback
    h = history_story(who)
    phase1 = h["rows"]["phase1"][-1].created_at

    # When a viewer opens the dashboard as of just before, and at, the first phase
    before = assert_page_ok(client_as(who.viewer).get("/", {"at": (phase1 - TICK).isoformat()}))
    at = assert_page_ok(client_as(who.viewer).get("/", {"at": phase1.isoformat()}))

    # Then each shows that moment's versions, with a read-only banner, and does not poll
    assert version_of(before, "NE") == h["original"]
    assert version_of(at, "NE") == h["rerouted"] and version_of(at, "MA") == h["original"]
    assert "Read-only: the network as it was at" in at and "data-poll=" not in at
    assert 'id="flight-h"' not in at
    now = assert_page_ok(client_as(who.viewer).get("/"))
    assert "data-poll=" in now and "Read-only" not in now


def test_dashboard_at__picker_value_without_zone__read_as_utc(who: People) -> None:
    # Given a history that took well under a second
    h = history_story(who)
    first = h["first"]

    # When the picker sends whole seconds with no zone: a second before it, and (a second
    # later) the second that has just begun
    time.sleep(1.05)
    early, late = (client_as(who.viewer).get("/", {"at": at.strftime("%Y-%m-%dT%H:%M:%S")})
                   for at in (first - timedelta(seconds=1), timezone.now()))

    # Then they are read as UTC: nothing live yet, then the end of the story
    assert "nothing was live yet" in assert_page_ok(early)
    html = assert_page_ok(late)
    assert 'class="message error"' not in html and "Read-only" in html
    assert version_of(html, "NE") == h["original"]


def test_dashboard_at__before_anything__nothing_was_live(who: People) -> None:
    h = history_story(who)

    html = assert_page_ok(client_as(who.viewer).get(
        "/", {"at": (h["first"] - timedelta(days=1)).isoformat()}))

    assert "nothing was live yet" in html and version_of(html, "NE") == ""


@pytest.mark.parametrize("at", ["2999-01-01T00:00:00", "noon"], ids=["future", "not a time"])
def test_dashboard_at__unusable__says_why_and_shows_now(who: People, at: str) -> None:
    history_story(who)

    html = assert_page_ok(client_as(who.viewer).get("/", {"at": at}))

    assert 'class="message error"' in html and "Read-only" not in html


def test_audit__region_rollback__links_to_the_network_just_before_and_after(
        who: People) -> None:
    # Given the history (SE rolled back to the original after the rollout)
    h = history_story(who)
    event = AuditEvent.objects.get(action="region.rolled_back")

    # When the audit log is read, and its two links for the rollback followed
    audit = assert_page_ok(client_as(who.viewer).get("/audit/"))
    links = re.findall(r'href="(/\?at=[^"]+)"', audit)
    before_url = next(u for u in links if "moment=before" in u and
                      event.at.isoformat().replace(":", "%3A").replace("+", "%2B") in u)
    after_url = before_url.replace("&amp;moment=before", "")
    before = assert_page_ok(client_as(who.viewer).get(before_url.replace("&amp;", "&")))
    after = assert_page_ok(client_as(who.viewer).get(after_url))

    # Then they show SE on the rerouted version just before, and on the original after
    assert version_of(before, "SE") == h["rerouted"]
    assert version_of(after, "SE") == h["original"]
    assert "just before the change" in before


def test_audit__event_that_changes_nothing__one_link_to_the_network_then(who: People) -> None:
    history_story(who)

    audit = assert_page_ok(client_as(who.viewer).get("/audit/", {"action": "rollout.approved"}))

    assert re.search(r'network <a href="/\?at=[^"]+">then</a>', audit)


def test_dashboard_at__viewer_needed(who: People, settings: Any) -> None:
    response = client_as(None).get("/", {"at": "2026-01-01T00:00:00Z"})

    assert response.status_code in (302, 401, 403)
