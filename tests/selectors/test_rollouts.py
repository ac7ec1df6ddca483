"""Rollout reads: one by id, the lists (API, rollouts page, in flight, just ended, started),
a rollout's phases and events with their query counts, and the status of DESIGN section 9."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from rollout.domain.lifecycle import State
from rollout.selectors.rollouts import (
    IN_FLIGHT,
    phase_list,
    rollout_event_list,
    rollout_find,
    rollout_list,
    rollout_list_ended,
    rollout_list_in_flight,
    rollout_list_started,
    rollout_list_with_phases,
    rollout_status,
)
from tests.rollout_factories import People, make_live, original_version, rollout_factory

pytestmark = pytest.mark.django_db


def test_rollout_find__known_and_unknown_id__the_rollout_or_none(who: People) -> None:
    rollout = rollout_factory(original_version(), who=who)
    assert rollout_find(rollout_id=rollout.id) == rollout
    assert rollout_find(rollout_id=rollout.id + 1) is None


def test_rollout_lists__rollouts_in_three_states__each_list_has_its_own_newest_first(
        who: People) -> None:
    # Given a draft, an approved and a running rollout (and a cancelled one, ended just now)
    version = original_version()
    make_live(version)
    draft = rollout_factory(version, ["NE"], who=who)
    approved = rollout_factory(version, ["MA"], who=who, state="approved")
    running = rollout_factory(version, ["SE"], who=who, state="running")
    ended = rollout_factory(version, ["NE"], who=who)
    ended.state, ended.finished_at = State.CANCELLED.value, timezone.now()
    ended.save(update_fields=["state", "finished_at"])
    # When the lists are read, Then each holds its rollouts, newest first
    assert list(rollout_list()) == [ended, running, approved, draft]
    assert list(rollout_list(state="draft")) == [draft]
    assert rollout_list_in_flight() == [running, approved]
    assert {r.state for r in rollout_list_in_flight()} <= set(IN_FLIGHT)
    assert rollout_list_started() == [running]
    assert rollout_list_ended(since=timezone.now() - timedelta(hours=1), limit=3) == [ended]
    assert rollout_list_ended(since=timezone.now() + timedelta(hours=1), limit=3) == []


def test_rollout_list_with_phases__many_rollouts__two_queries_phases_in_order(
        who: People, django_assert_num_queries: Any) -> None:
    version = original_version()
    for _ in range(3):
        rollout_factory(version, ["NE"], ["MA", "SE"], who=who)
    with django_assert_num_queries(2):
        rows = rollout_list_with_phases(limit=200)
        shown = [(r.created_by.username, r.version.id, [p.regions for p in r.phases.all()])
                 for r in rows]
    assert shown == [("edna", version.id, [["NE"], ["MA", "SE"]])] * 3


def test_phase_list__phases_with_gate_results__two_queries(
        who: People, django_assert_num_queries: Any) -> None:
    rollout = rollout_factory(original_version(), ["NE"], ["MA"], ["SE"], who=who)
    with django_assert_num_queries(2):
        phases = phase_list(rollout=rollout)
        assert [(p.index, list(p.gate_results.all())) for p in phases] == [
            (0, []), (1, []), (2, [])]


def test_rollout_event_list__approved_rollout__oldest_first_with_actors(who: People) -> None:
    rollout = rollout_factory(original_version(), who=who, state="approved")
    events = list(rollout_event_list(rollout=rollout))
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[-1].actor is not None and events[-1].actor.username == "abe"


def test_rollout_status__approved_rollout__the_shape_of_design_section_9(who: People) -> None:
    rollout = rollout_factory(original_version(), ["NE"], ["MA", "SE"], who=who,
                              state="approved")
    status = rollout_status(rollout=rollout)
    assert (status["id"], status["state"], status["created_by"], status["approved_by"]) == (
        rollout.id, "approved", "edna", "abe")
    assert [p["regions"] for p in status["phases"]] == [["NE"], ["MA", "SE"]]
    assert {"at", "kind", "message", "actor"} <= set(status["events"][0])
