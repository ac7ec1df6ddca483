"""Change-freeze windows: those not over (open now or upcoming) and those recently over."""

from __future__ import annotations

from datetime import datetime

from rollout.models import FreezeWindow


def freeze_window_list(*, now: datetime, limit: int | None = None) -> list[FreezeWindow]:
    """Windows that have not ended at `now` (open or upcoming), soonest first, with their
    creator loaded; the first `limit` of them if given."""
    rows = (FreezeWindow.objects.filter(ends_at__gt=now).select_related("created_by")
            .order_by("starts_at"))
    return list(rows if limit is None else rows[:limit])


def freeze_window_starts(*, now: datetime, limit: int) -> list[tuple[int, datetime]]:
    """(id, starts_at) of the first `limit` windows not ended at `now`, soonest first: what
    tells a polling page that a window came, went or opened."""
    return list(FreezeWindow.objects.filter(ends_at__gt=now).order_by("starts_at")
                .values_list("id", "starts_at")[:limit])


def freeze_window_list_over(*, now: datetime, since: datetime,
                            limit: int) -> list[FreezeWindow]:
    """Windows that ended after `since` and by `now`, the latest ended first, with their
    creator loaded."""
    return list(FreezeWindow.objects.filter(ends_at__lte=now, ends_at__gt=since)
                .select_related("created_by").order_by("-ends_at")[:limit])
