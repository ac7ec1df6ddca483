"""State and event names in words (rollout.web.words), wherever badges show them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rollout.domain.lifecycle import PhaseState, State
from rollout.services.engine import rollout_advance
from rollout.services.rollbacks import rollout_rollback
from rollout.web.words import EVENTS, WORDS, in_words
from tests.rollout_factories import make_live, moved_282_version, original_version, rollout_factory
from tests.web.helpers import assert_page_ok, client_as


def test_words__every_state_and_event__has_words_without_underscores() -> None:
    # Given every rollout state, phase state and timeline event kind
    names = [*State, *PhaseState, *EVENTS]

    # Then each has words, none with an underscore
    for name in names:
        assert "_" not in WORDS[str(name)], name
    assert in_words("rolled_back") == "rolled back"
    assert in_words("phase_activated") == "phase activated"


def test_in_words__unknown_name__underscores_become_spaces() -> None:
    assert in_words("something_new_happened") == "something new happened"


def _badges(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", b) for b in
            re.findall(r'<span class="badge[^"]*"[^>]*>(.*?)</span>', html)]


@pytest.mark.django_db
def test_rollout_pages__rolled_back_rollout__badges_in_words(who: Any) -> None:
    # Given a rollout that activated its phase and was rolled back
    make_live(original_version())
    rollout = rollout_factory(moved_282_version(), ["MA", "SE"], who=who, state="running")
    rollout_advance(rollout_id=rollout.id)
    rollout_rollback(rollout_id=rollout.id, actor=who.operator, reason="late")

    # When its page, the rollouts list and the dashboard are drawn
    viewer = client_as(who.viewer)
    page = assert_page_ok(viewer.get(f"/rollouts/{rollout.id}/"))
    listing = assert_page_ok(viewer.get("/rollouts/"))
    status = viewer.get(f"/rollouts/{rollout.id}/status.json")

    # Then the badges say "rolled back" and "phase activated", never the raw names
    assert "rolled back" in _badges(page) and "phase activated" in _badges(page)
    assert "rolled back" in _badges(listing)
    for html in (page, listing):
        assert not [b for b in _badges(html) if "_" in b], _badges(html)
    # and the page's script gets the same words to relabel the state badge live
    assert 'data-words="{&quot;' in page and "&quot;rolled_back&quot;: &quot;rolled back&quot;" \
        in page
    if status.status_code == 200:
        fragments = " ".join(str(v) for v in (status.json().get("html") or {}).values())
        assert not [b for b in _badges(fragments) if "_" in b]
