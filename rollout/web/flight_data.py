"""Rollouts in flight (and those just ended) with their progress, freeze windows, and the key
that tells a polling dashboard whether anything it shows changed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from rollout.domain.lifecycle import PhaseState, State
from rollout.models import Rollout
from rollout.selectors.freezes import freeze_window_list, freeze_window_starts
from rollout.selectors.kpis import kpi_snapshot_newest_id
from rollout.selectors.rollouts import IN_FLIGHT, rollout_list_ended, rollout_list_in_flight
from rollout.services.live import LiveState
from rollout.web.live_data import rollout_url, upcoming_version, version_url
from rollout.web.rollout_data import progress_percent

#: how long a finished rollout stays on the dashboard, under the ones in flight
RECENTLY_ENDED = timedelta(hours=1)


@dataclass(frozen=True)
class InFlight:
    id: int
    url: str
    state: str
    version_id: str
    version_url: str
    done: int
    baking: int
    total: int
    current: str
    next_at: datetime | None
    next_label: str
    ended_at: datetime | None = None

    @property
    def pct(self) -> int:
        """The rollout page's rule: passed phases whole, a baking phase half."""
        return progress_percent(self.state, self.done, self.baking, self.total)

    @property
    def progress_text(self) -> str:
        text = f"{self.done} of {self.total} phase{'' if self.total == 1 else 's'} done"
        return text + (", one baking" if self.baking else "")

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "done": self.done, "baking": self.baking,
                "total": self.total, "pct": self.pct, "current": self.current,
                "next_label": self.next_label,
                "next_at": self.next_at.isoformat() if self.next_at else None}


def rollouts_in_flight(now: datetime | None = None) -> list[InFlight]:
    """Rollouts approved, running or paused, newest first, with their progress."""
    now = now or timezone.now()
    return [_in_flight(rollout, now) for rollout in rollout_list_in_flight(limit=20)]


def rollouts_recently_ended(now: datetime | None = None, limit: int = 3) -> list[InFlight]:
    """Rollouts that finished (completed, failed, cancelled, rolled back) in the last hour."""
    now = now or timezone.now()
    rows = rollout_list_ended(since=now - RECENTLY_ENDED, limit=limit)
    return [_in_flight(rollout, now) for rollout in rows]


def _in_flight(rollout: Rollout, now: datetime) -> InFlight:
    phases = sorted(rollout.phases.all(), key=lambda p: p.index)
    done = sum(p.state == PhaseState.PASSED.value for p in phases)
    baking = next((p for p in phases if p.state == PhaseState.BAKING.value), None)
    pending = next((p for p in phases if p.state == PhaseState.PENDING.value), None)
    current = baking or pending
    if rollout.state not in IN_FLIGHT:
        current_label = rollout.state.replace("_", " ")
    elif current is None:
        current_label = "all phases done"
    else:
        verb = "baking" if current is baking else "next"
        current_label = (f"phase {current.index + 1} of {len(phases)} ({verb}): "
                         f"{', '.join(current.regions)}")
    next_at: datetime | None = None
    if rollout.state == State.RUNNING.value:
        next_at = rollout.next_step_at or (baking.bake_until if baking else None)
        if next_at is None and pending is not None:
            next_at = pending.start_after
        next_label = _until(next_at, now) if next_at else "due now"
    elif rollout.state == State.PAUSED.value:
        next_label = "paused: waits for an operator"
    elif rollout.state == State.APPROVED.value:
        next_label = "approved: waits for an operator to start it"
    else:
        finished = rollout.finished_at
        # a clock time, not "3 min ago": the dashboard redraws on changes, not as time passes
        next_label = f"ended {timezone.localtime(finished):%H:%M} UTC" if finished else "ended"
    return InFlight(rollout.id, rollout_url(rollout.id), rollout.state, rollout.version_id,
                    version_url(rollout.version_id), done, 1 if baking else 0, len(phases),
                    current_label, next_at, next_label, rollout.finished_at)


def _until(moment: datetime, now: datetime) -> str:
    seconds = (moment - now).total_seconds()
    if seconds <= 0:
        return "next step due now"
    minutes = seconds / 60
    if minutes < 1:
        return f"next step in {seconds:.0f} s"
    if minutes < 120:
        return f"next step in {minutes:.0f} min"
    return f"next step in {minutes / 60:.1f} h"


def freeze_windows(now: datetime | None = None) -> list[dict[str, Any]]:
    """Freeze windows that have not ended, soonest first, with whether each is open now."""
    now = now or timezone.now()
    return [{"window": w, "open": w.starts_at <= now}
            for w in freeze_window_list(now=now, limit=20)]


# --- has anything changed? ------------------------------------------------------------------

def dashboard_key(state: LiveState, in_flight: list[InFlight],
                  now: datetime | None = None) -> str:
    """A short digest of everything the dashboard shows, except the countdowns: the live state
    (its newest activation), the upcoming version, each rollout in flight's state, phase and next
    step, the freeze windows not over (and whether each is open), the newest KPI snapshot.

    A page that polls with the key it was drawn with learns in a few cheap queries whether it
    needs redrawing: pauses, approvals, passed gates and finished rollouts change it too.
    """
    now = now or timezone.now()
    newest = upcoming_version(state)
    freezes = [(window_id, starts_at <= now)
               for window_id, starts_at in freeze_window_starts(now=now, limit=20)]
    kpis = kpi_snapshot_newest_id()
    parts = [state.at_activation, newest.id if newest else None, kpis, freezes,
             [(r.id, r.state, r.done, r.baking, r.current,
               r.next_at.isoformat() if r.next_at else None) for r in in_flight]]
    digest = hashlib.sha1(json.dumps(parts, default=str).encode(), usedforsecurity=False)
    return f"{state.at_activation}-{digest.hexdigest()[:12]}"
