"""What was live at an instant (rollout/services/live_history.py): just before, at and just
after phase activations, a one-click rollback and a region rollback (the API: tests/api/
test_time_travel.py; the commands: tests/commands/test_time_travel_commands.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from rollout.services.live_history import (
    InstantRefused,
    forget_live_history,
    instant_parse,
    live_summary_as_of,
    route_as_of,
)
from tests.rollout_factories import TICK, People, history_story

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_history() -> Any:
    forget_live_history()
    yield
    forget_live_history()


def regions_at(at: datetime) -> dict[str, str | None]:
    return {code: row["version"] for code, row in live_summary_as_of(at=at)["regions"].items()}


def test_live_summary_as_of__around_each_change__the_state_of_that_moment(who: People) -> None:
    h = history_story(who)
    original, rerouted, rows = h["original"], h["rerouted"], h["rows"]
    phase1, phase2 = rows["phase1"][-1].created_at, rows["phase2"][-1].created_at
    region = rows["region_rollback"][0].created_at
    click = rows["rollback"][-1].created_at

    # Just before the first phase: the original everywhere; at it and after: NE rerouted
    assert regions_at(phase1 - TICK) == {"NE": original, "MA": original, "SE": original}
    assert regions_at(phase1) == {"NE": rerouted, "MA": original, "SE": original}
    assert regions_at(phase2 - TICK) == {"NE": rerouted, "MA": original, "SE": original}
    assert regions_at(phase2 + TICK) == {"NE": rerouted, "MA": rerouted, "SE": rerouted}
    # The region rollback put SE back; the one-click rollback put the rest back too
    assert regions_at(region) == {"NE": rerouted, "MA": rerouted, "SE": original}
    assert regions_at(click - TICK)["NE"] == rerouted
    assert regions_at(click + TICK) == {"NE": original, "MA": original, "SE": original}
    summary = live_summary_as_of(at=region + TICK)
    assert summary["sequence"] == rows["region_rollback"][0].id
    assert summary["regions"]["SE"]["by"] == "otto"


def test_route_as_of__zone_of_ne__the_path_then(who: People) -> None:
    h = history_story(who)
    phase1 = h["rows"]["phase1"][-1].created_at

    before = route_as_of(zone="070", at=phase1 - TICK)
    after = route_as_of(zone="070", at=phase1)

    assert before is not None and before["version"] == h["original"]
    assert before["fcs"] == ["FC-EWR4", "FC-BOS7"]
    assert after is not None and after["version"] == h["rerouted"]
    assert after["fcs"] == ["FC-BOS7", "FC-EWR4"]


def test_as_of__before_anything_was_live__nothing(who: People) -> None:
    h = history_story(who)
    early = h["first"] - TICK

    assert live_summary_as_of(at=early) == {"at": early.isoformat(), "sequence": 0,
                                         "regions": {}, "gaps": []}
    assert route_as_of(zone="070", at=early) is None


@pytest.mark.parametrize("text", ["yesterday", "2026-11-30T14:54:00", "2999-01-01T00:00:00Z"],
                         ids=["not a time", "no time zone", "in the future"])
def test_instant_parse__unusable__refused(text: str) -> None:
    with pytest.raises(InstantRefused):
        instant_parse(text=text)
