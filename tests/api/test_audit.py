"""/audit: the append-only log, newest first, filtered by actor, action and since, paginated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from rollout.models import AuditEvent
from tests.api.helpers import ApiClient, files_body
from tests.rollout_factories import People, original_version

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def history(as_role: AsRole) -> list[AuditEvent]:
    """Five token.created events (one per role, 2020), then version.created by edna and
    kpi.observed by otto (now). Returned newest first."""
    AuditEvent.objects.filter(action="token.created").update(at=LONG_AGO)
    assert as_role("editor").post("/versions", {"files": files_body(),
                                                "message": "east coast"}).status_code == 201
    assert as_role("operator").post("/regions/NE/observations",
                                    {"values": {"trucks": 3}}).status_code == 201
    return list(AuditEvent.objects.order_by("-at", "-id"))


def test_get_audit__no_filter__200_every_event_newest_first_with_details(
        as_role: AsRole, history: list[AuditEvent]) -> None:
    response = as_role("viewer").get("/audit")

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == len(history) == 7
    assert [e["id"] for e in page["items"]] == [e.id for e in history]
    newest = page["items"][0]
    assert (newest["action"], newest["actor"], newest["object_type"], newest["object_id"]) == (
        "kpi.observed", "otto", "region", "NE")
    assert newest["details"]["values"] == {"trucks": 3}


def test_get_audit__actor_filter__only_that_users_events(as_role: AsRole,
                                                        history: list[AuditEvent]) -> None:
    page = as_role("viewer").get("/audit", {"actor": "edna"}).json()

    assert [(e["actor"], e["action"]) for e in page["items"]] == [
        ("edna", "version.created"), ("edna", "token.created")]


def test_get_audit__action_filter__prefix_match(as_role: AsRole,
                                               history: list[AuditEvent]) -> None:
    exact = as_role("viewer").get("/audit", {"action": "version.created"}).json()
    prefix = as_role("viewer").get("/audit", {"action": "token"}).json()

    assert [e["action"] for e in exact["items"]] == ["version.created"]
    assert prefix["count"] == 5 and {e["action"] for e in prefix["items"]} == {"token.created"}


def test_get_audit__since_filter__only_events_at_or_after(as_role: AsRole,
                                                         history: list[AuditEvent]) -> None:
    page = as_role("viewer").get("/audit", {"since": "2021-01-01T00:00:00Z"}).json()

    assert [e["action"] for e in page["items"]] == ["kpi.observed", "version.created"]


def test_get_audit__filters_combined__intersection(as_role: AsRole,
                                                  history: list[AuditEvent]) -> None:
    page = as_role("viewer").get("/audit", {"actor": "edna", "action": "token",
                                            "since": "2021-01-01T00:00:00Z"}).json()

    assert page["count"] == 0 and page["items"] == []


def test_get_audit__pagination__pages_partition_the_log(as_role: AsRole,
                                                       history: list[AuditEvent]) -> None:
    # When the log is read two events at a time
    pages = [as_role("viewer").get("/audit", {"limit": 2, "offset": offset}).json()
             for offset in (0, 2, 4, 6, 8)]

    # Then the pages hold every event once, in order, and the last one is empty
    assert [p["count"] for p in pages] == [7, 7, 7, 7, 7]
    assert [len(p["items"]) for p in pages] == [2, 2, 2, 1, 0]
    assert [e["id"] for p in pages for e in p["items"]] == [e.id for e in history]


@pytest.mark.parametrize(("limit", "offset", "bounded"), [(0, -5, (1, 0)), (10_000, 0, (500, 0))],
                         ids=["below", "above"])
def test_get_audit__limit_out_of_bounds__clamped(as_role: AsRole, who: People, limit: int,
                                                offset: int, bounded: tuple[int, int]) -> None:
    original_version()

    page = as_role("viewer").get("/audit", {"limit": limit, "offset": offset}).json()

    assert (page["limit"], page["offset"]) == bounded


def test_get_audit__since_not_a_time__422(as_role: AsRole, who: People) -> None:
    response = as_role("viewer").get("/audit", {"since": "yesterday"})

    assert response.status_code == 422
