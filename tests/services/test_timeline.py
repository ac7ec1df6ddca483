"""What every rollout state change shares (rollout/services/timeline.py): the row lock, the
timeline event with its audit row, and the worker asked to look again once the change commits
(by task name, never before the commit, never too far ahead)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from pytest_django.fixtures import Settings

from regions_config.celery import app
from rollout.models import AuditEvent, RolloutEvent
from rollout.services.plans import RolloutNotFound
from rollout.services.timeline import (
    rollout_advance_schedule,
    rollout_event_record,
    rollout_lock,
)
from tests.conftest import SentTask
from tests.rollout_factories import People, original_version, rollout_factory

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def test_rollout_lock__existing_rollout__the_row(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who)

    with transaction.atomic():
        locked = rollout_lock(rollout_id=rollout.id)

    assert locked == rollout and locked.state == "draft"


def test_rollout_lock__no_such_rollout__not_found() -> None:
    with transaction.atomic(), pytest.raises(RolloutNotFound, match="no rollout 424242"):
        rollout_lock(rollout_id=424242)


def test_rollout_event_record__change__timeline_event_and_audit_row_alike(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who)
    before = AuditEvent.objects.count()

    rollout_event_record(rollout=rollout, kind="paused", message="paused by ops",
                         actor=who.operator, details={"why": "test"})

    event = RolloutEvent.objects.filter(rollout=rollout).latest("id")
    assert (event.kind, event.message, event.actor, event.details) == (
        "paused", "paused by ops", who.operator, {"why": "test"})
    audit = AuditEvent.objects.latest("id")
    assert AuditEvent.objects.count() == before + 1
    assert (audit.action, audit.object_type, audit.object_id, audit.reason, audit.actor) == (
        "rollout.paused", "rollout", str(rollout.id), "paused by ops", who.operator)
    assert audit.details == {"why": "test"}


def test_rollout_event_record__no_details_no_actor__empty_details(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], who=who)

    rollout_event_record(rollout=rollout, kind="completed", message="every phase passed",
                         actor=None)

    event = RolloutEvent.objects.filter(rollout=rollout).latest("id")
    assert event.details == {} and event.actor is None


def test_rollout_advance_schedule__now__sent_by_name_after_the_commit(
        sent_tasks: list[SentTask], django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rollout_advance_schedule(rollout_id=7)
        assert sent_tasks == []  # nothing before the commit

    assert len(callbacks) == 1
    assert sent_tasks == [SentTask("rollout.advance", (7,), None)]


def test_rollout_advance_schedule__change_rolled_back__nothing_sent(
        sent_tasks: list[SentTask], django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollout_advance_schedule(rollout_id=7)

    assert len(callbacks) == 1 and sent_tasks == []


def test_rollout_advance_schedule__eta_within_the_limit__sent_for_then(
        settings: Settings, sent_tasks: list[SentTask],
        django_capture_on_commit_callbacks: Capture) -> None:
    settings.RRM_ETA_MAX_SECONDS = 300
    eta = timezone.now() + timedelta(seconds=200)

    with django_capture_on_commit_callbacks(execute=True):
        rollout_advance_schedule(rollout_id=7, eta=eta)

    assert sent_tasks == [SentTask("rollout.advance", (7,), eta)]


def test_rollout_advance_schedule__eta_beyond_the_limit__no_message_the_sweep_sends_it(
        settings: Settings, sent_tasks: list[SentTask],
        django_capture_on_commit_callbacks: Capture) -> None:
    settings.RRM_ETA_MAX_SECONDS = 300

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rollout_advance_schedule(rollout_id=7, eta=timezone.now() + timedelta(seconds=400))

    assert callbacks == [] and sent_tasks == []


def test_rollout_advance_schedule__broker_down__logged_not_raised(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        django_capture_on_commit_callbacks: Capture) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(app, "send_task", refuse)

    with caplog.at_level(logging.WARNING, logger="rollout.services.timeline"), \
            django_capture_on_commit_callbacks(execute=True):
        rollout_advance_schedule(rollout_id=7)

    assert [r.getMessage() for r in caplog.records] == ["rollout.enqueue_failed rollout_id=7"]
