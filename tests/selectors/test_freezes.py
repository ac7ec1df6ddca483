"""Freeze windows: not over (open or upcoming), soonest first; recently over, latest first."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from rollout.models import FreezeWindow
from rollout.selectors.freezes import (
    freeze_window_list,
    freeze_window_list_over,
    freeze_window_starts,
)
from tests.rollout_factories import People

pytestmark = pytest.mark.django_db


def _window(who: People, now: datetime, start_h: float, end_h: float) -> FreezeWindow:
    return FreezeWindow.objects.create(starts_at=now + timedelta(hours=start_h),
                                       ends_at=now + timedelta(hours=end_h), reason="peak",
                                       created_by=who.approver)


def test_freeze_window_list__past_open_upcoming__not_over_soonest_first(who: People) -> None:
    # Given a window over, one open now and two upcoming
    now = timezone.now()
    over = _window(who, now, -5, -1)
    open_now = _window(who, now, -1, 2)
    later, sooner = _window(who, now, 10, 12), _window(who, now, 3, 4)
    # When the windows not over are read, Then they come soonest first (and at most `limit`)
    assert freeze_window_list(now=now) == [open_now, sooner, later]
    assert freeze_window_list(now=now, limit=2) == [open_now, sooner]
    assert freeze_window_starts(now=now, limit=20) == [
        (w.id, w.starts_at) for w in (open_now, sooner, later)]
    # And the one over is among those recently over
    assert freeze_window_list_over(now=now, since=now - timedelta(days=30), limit=20) == [over]
    assert freeze_window_list_over(now=now, since=now - timedelta(minutes=30), limit=20) == []
