"""The audit log page: newest first, filtered by who, what and when, 50 to a page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from rollout.models import AuditEvent
from rollout.services.audit import audit_record
from tests.rollout_factories import People
from tests.web.helpers import (
    assert_forbidden,
    assert_login_redirect,
    assert_page_ok,
    client_as,
    role_clients,
)

pytestmark = pytest.mark.django_db

ROW_OBJECT = re.compile(r'class="mono">(obj-[\w-]+)<')


def event(actor: User | None, action: str, object_id: str, *,
          at: datetime | None = None, **details: object) -> AuditEvent:
    """An audit event through the service; `at` moves it in time (test setup only)."""
    row = audit_record(actor=actor, action=action, object_type="thing", object_id=object_id,
                       details=details)
    if at is not None:
        AuditEvent.objects.filter(id=row.id).update(at=at)
    return row


def shown_objects(html: str) -> list[str]:
    return ROW_OBJECT.findall(html)


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "operator"])
def test_audit_page__any_role__renders(who: People, role: str) -> None:
    event(who.editor, "version.created", "obj-1")
    html = assert_page_ok(role_clients(who)[role].get("/audit/"))
    assert "obj-1" in html and "version.created" in html


def test_audit_page__user_without_a_role__is_forbidden(who: People) -> None:
    assert_forbidden(role_clients(who)["nobody"].get("/audit/"))


def test_audit_page__anonymous__is_sent_to_login(who: People) -> None:
    assert_login_redirect(role_clients(who)["anonymous"].get("/audit/?who=edna"))


def test_audit_page__events__are_newest_first_with_who_what_and_why(who: People) -> None:
    # Given an older and a newer event, one with a reason
    now = timezone.now()
    event(who.editor, "version.created", "obj-old", at=now - timedelta(hours=2))
    row = event(who.operator, "region.rolled_back", "obj-new", version="abc")
    AuditEvent.objects.filter(id=row.id).update(reason="trucks doubled")
    # When the log is shown
    html = assert_page_ok(client_as(who.viewer).get("/audit/"))
    # Then the newest comes first, with who, what, object and why
    assert shown_objects(html) == ["obj-new", "obj-old"]
    assert "otto" in html and "region.rolled_back" in html and "trucks doubled" in html
    assert "version: abc" in html


def test_audit_page__filter_by_who__shows_only_that_users_events(who: People) -> None:
    # Given events by two users and by the system
    event(who.editor, "version.created", "obj-edna")
    event(who.operator, "rollout.started", "obj-otto")
    event(None, "rollout.advanced", "obj-system")
    client = client_as(who.viewer)
    # When filtered by a user, Then only theirs are shown
    assert shown_objects(assert_page_ok(client.get("/audit/?who=otto"))) == ["obj-otto"]
    # And "system" means events without a user
    assert shown_objects(assert_page_ok(client.get("/audit/?who=system"))) == ["obj-system"]
    # And the who select offers the users that appear in the log
    html = assert_page_ok(client.get("/audit/"))
    assert '<option value="edna"' in html and '<option value="otto"' in html
    assert '<option value="vera"' not in html


def test_audit_page__filter_by_action_prefix__matches_like_the_api(who: People) -> None:
    # Given events of several actions
    event(who.operator, "rollout.started", "obj-a")
    event(who.operator, "rollout.paused", "obj-b")
    event(who.editor, "version.created", "obj-c")
    client = client_as(who.viewer)
    # When filtered by "rollout." (a prefix, as GET /api/v1/audit?action= does)
    html = assert_page_ok(client.get("/audit/?action=rollout."))
    # Then only rollout events are shown
    assert shown_objects(html) == ["obj-b", "obj-a"]
    assert shown_objects(assert_page_ok(client.get("/audit/?action=version.created"))) == [
        "obj-c"]


def test_audit_page__filter_by_dates__keeps_the_days_inclusive(who: People) -> None:
    # Given events on three days
    noon = timezone.make_aware(datetime(2026, 3, 10, 12, 0))
    event(who.editor, "version.created", "obj-9th", at=noon - timedelta(days=1))
    event(who.editor, "version.created", "obj-10th", at=noon)
    event(who.editor, "version.created", "obj-11th", at=noon + timedelta(days=1))
    client = client_as(who.viewer)
    # When filtered since the 10th, until the 10th, or both
    since = shown_objects(assert_page_ok(client.get("/audit/?since=2026-03-10")))
    until = shown_objects(assert_page_ok(client.get("/audit/?until=2026-03-10")))
    both = shown_objects(assert_page_ok(client.get("/audit/?since=2026-03-10&until=2026-03-10")))
    # Then each bound includes its own day
    assert since == ["obj-11th", "obj-10th"]
    assert until == ["obj-10th", "obj-9th"]
    assert both == ["obj-10th"]


def test_audit_page__bad_dates__say_so_without_filtering(who: People) -> None:
    event(who.editor, "version.created", "obj-1")
    client = client_as(who.viewer)
    html = assert_page_ok(client.get("/audit/?since=yesterday"))
    assert "Enter a valid date" in html and shown_objects(html) == ["obj-1"]
    html = assert_page_ok(client.get("/audit/?since=2026-03-10&until=2026-03-01"))
    assert "before" in html and "since" in html


def test_audit_page__many_events__are_paged_by_50_keeping_the_filters(who: People) -> None:
    # Given 120 events by one user and 5 by another
    now = timezone.now()
    for i in range(120):
        event(who.operator, "rollout.started", f"obj-{i:03d}", at=now - timedelta(minutes=i))
    for i in range(5):
        event(who.editor, "version.created", f"obj-e{i}")
    client = client_as(who.viewer)
    # When the operator's events are listed
    first = assert_page_ok(client.get("/audit/?who=otto"))
    third = assert_page_ok(client.get("/audit/?who=otto&page=3"))
    # Then the pages hold 50, 50 and 20 events, newest first
    assert shown_objects(first) == [f"obj-{i:03d}" for i in range(50)]
    assert shown_objects(third) == [f"obj-{i:03d}" for i in range(100, 120)]
    assert "120 events match the filters" in first
    # And the page links keep the filter
    assert 'href="?who=otto&amp;page=2"' in first
    assert 'href="?who=otto&amp;page=2"' in third


def test_audit_page__out_of_range_page__shows_the_last(who: People) -> None:
    event(who.editor, "version.created", "obj-1")
    html = assert_page_ok(client_as(who.viewer).get("/audit/?page=99"))
    assert shown_objects(html) == ["obj-1"]


def test_audit_page__query_count__does_not_grow_with_the_rows(
        who: People, django_assert_max_num_queries: object) -> None:
    for i in range(60):
        event(who.operator if i % 2 else who.editor, "rollout.started", f"obj-{i}")
    client = client_as(who.viewer)
    client.get("/audit/")  # warm the session
    with django_assert_max_num_queries(10):  # type: ignore[operator]  # pytest-django fixture
        assert_page_ok(client.get("/audit/"))


def test_audit_summary__structured_details__names_regions_and_versions_full_json_kept() -> None:
    from rollout.web.views.audit import summarize

    # Given the details a rollback, a rollout creation and the demo record
    restored = {"restored": {"NE": "abc123", "MA": None}}
    created = {"phases": [["NE", "MA"], ["SE", "GL"]]}
    went_live = {"regions": ["NE", "MA", "SE", "GL", "CE", "SC", "MT", "PC"]}
    # When they are summarised
    # Then the line says what changed (not "{2 fields}" or "[8 items]") and the JSON is kept
    line, full = summarize(restored)
    assert line == "restored: MA → not live, NE → abc123"
    assert '"MA": null' in full
    assert summarize(created)[0] == "phases: 1: NE, MA · 2: SE, GL"
    assert summarize(went_live)[0] == "regions: NE, MA, SE, GL, CE, SC, MT, PC"
    # And flat details need no expandable part
    assert summarize({"valid": False, "errors": 1, "parent": None}) == (
        "valid: no, errors: 1, parent: —", "")


def test_audit_page__rollback_details__summary_lists_regions_with_json_expandable(
        who: People) -> None:
    event(who.operator, "rollout.rolled_back", "obj-rb", restored={"NE": "abc123", "MA": None})
    html = assert_page_ok(client_as(who.viewer).get("/audit/"))
    assert "<summary>restored: MA → not live, NE → abc123</summary>" in html
    assert "{2 fields}" not in html


def test_audit_page__date_at_the_end_of_the_calendar__is_a_form_error_not_a_500(
        who: People) -> None:
    event(who.editor, "version.created", "obj-1")
    html = assert_page_ok(client_as(who.viewer).get("/audit/?until=9999-12-31"))
    assert shown_objects(html) == ["obj-1"]


def test_audit_page__region_event__links_to_the_region_page(who: People) -> None:
    audit_record(actor=who.operator, action="region.rolled_back", object_type="region",
                 object_id="NE", details={})
    html = assert_page_ok(client_as(who.viewer).get("/audit/"))
    assert 'href="/regions/NE/"' in html
