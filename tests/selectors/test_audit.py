"""The audit filter GET /api/v1/audit and the audit page share: who, what (a prefix), when;
newest first; and the choices the page's filters offer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from rollout.models import AuditEvent
from rollout.selectors.audit import (
    audit_actions,
    audit_event_list,
    audit_freezes_cancelled,
    audit_usernames,
)
from rollout.services.audit import audit_record
from tests.rollout_factories import People

pytestmark = pytest.mark.django_db


def _event(action: str, actor: Any = None, *, days_ago: float = 0) -> AuditEvent:
    event = audit_record(actor=actor, action=action, object_type="x", object_id="1")
    event.at = timezone.now() - timedelta(days=days_ago)
    event.save(update_fields=["at"])
    return event


def test_audit_event_list__each_filter__narrows_newest_first(who: People) -> None:
    # Given events by two users and the system, on three days
    old = _event("rollout.created", who.editor, days_ago=3)
    mid = _event("rollout.approved", who.approver, days_ago=2)
    new = _event("region.rolled_back", None, days_ago=1)
    now = timezone.now()
    # When each filter is given alone, Then it narrows, newest first
    assert list(audit_event_list()) == [new, mid, old]
    assert list(audit_event_list(actor="edna")) == [old]
    assert list(audit_event_list(without_actor=True)) == [new]
    assert list(audit_event_list(action="rollout.")) == [mid, old]
    assert list(audit_event_list(since=now - timedelta(days=2, hours=1))) == [new, mid]
    assert list(audit_event_list(before=now - timedelta(days=1, hours=1))) == [mid, old]


def test_audit_event_list__page_of_events__one_query_with_their_actors(
        who: People, django_assert_num_queries: Any) -> None:
    for _ in range(3):
        _event("rollout.created", who.editor)
    with django_assert_num_queries(1):
        assert {getattr(e.actor, "username", None) for e in audit_event_list()[:50]} == {"edna"}


def test_audit_usernames_and_actions__distinct_and_sorted(who: People) -> None:
    _event("rollout.created", who.editor)
    _event("rollout.approved", who.approver)
    _event("rollout.created", who.editor)
    _event("region.rolled_back", None)
    assert audit_usernames() == ["abe", "edna"]
    assert audit_actions() == ["region.rolled_back", "rollout.approved", "rollout.created"]


def test_audit_freezes_cancelled__recent_ones__newest_first_within_the_limit(
        who: People) -> None:
    _event("freeze.cancelled", who.approver, days_ago=40)
    recent = [_event("freeze.cancelled", who.approver, days_ago=d) for d in (3, 2, 1)]
    _event("freeze.created", who.approver)
    found = audit_freezes_cancelled(since=timezone.now() - timedelta(days=30), limit=2)
    assert found == [recent[2], recent[1]]
