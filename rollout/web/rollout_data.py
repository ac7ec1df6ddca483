"""What the rollout pages show, shaped in one place from the reads of `rollout.selectors`: the
list rows and a rollout's status (phases, gates, events, the buttons a user may press, what a
rollback would change). The page and its JSON status endpoint use the same
`rollout_status_of`, so a poll can never disagree with a page load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from rollout.domain.lifecycle import (
    Action,
    FreezeView,
    PhaseState,
    State,
    StepKind,
    active_freeze,
    can,
    next_step,
)
from rollout.domain.lifecycle import PhaseView as LifecyclePhase
from rollout.models import Activation, FreezeWindow, Phase, Rollout
from rollout.selectors.freezes import freeze_window_list
from rollout.selectors.regions import known_region_codes
from rollout.selectors.rollouts import phase_list, rollout_event_list, rollout_list_with_phases
from rollout.services.live_network import latest_activations
from rollout.services.roles import CANCEL_ROLES, Role, user_roles
from rollout.services.rollbacks import rollback_targets
from rollout.web.gate_data import gate_plan_rows, gate_result_row
from rollout.web.usmap import region_colours

#: states in which the operator's one-click rollback is allowed (asked of the state machine)
ROLLBACK_STATES = tuple(s.value for s in State if can(Action.ROLLBACK, s))


def when(moment: datetime | None, now: datetime | None = None) -> str:
    """A time for people: "14:05:09" today, "2026-12-01 00:13" another day (server time zone)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(now or timezone.now()).date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def short(version_id: str | None) -> str:
    return version_id[:10] if version_id else "not live"


def iso(moment: datetime | None) -> str | None:
    """The moment in the server's time zone (the pages say which), with its offset."""
    return timezone.localtime(moment).isoformat() if moment else None


def progress_percent(state: str, passed: int, baking: int, total: int) -> int:
    """Passed phases count whole, a baking phase half (its regions are live, its gates not yet
    judged); a completed rollout is 100 %."""
    if state == State.COMPLETED.value:
        return 100
    return round(100 * (passed + baking / 2) / total) if total else 0


def event_row(at: datetime, kind: str, message: str, actor: str | None,
              now: datetime) -> dict[str, Any]:
    """One event for the page; `by` is the actor to show after the message, empty when the
    message already names them ("approved by abe")."""
    named = actor is not None and re.search(rf"\bby {re.escape(actor)}\b", message) is not None
    return {"at": iso(at), "at_label": when(at, now), "kind": kind, "message": message,
            "actor": actor, "by": "" if named else (actor or "")}


# --- the list -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListRow:
    rollout: Rollout
    phases: list[list[str]]
    done: int
    total: int
    baking: int = 0

    @property
    def percent(self) -> int:
        return progress_percent(self.rollout.state, self.done, self.baking, self.total)


def rollout_rows(*, state: str | None = None, limit: int = 200) -> list[ListRow]:
    """The rollouts page's rows: the newest `limit` rollouts (in one state, if given), with
    their phases' regions and progress."""
    out = []
    for rollout in rollout_list_with_phases(state=state, limit=limit):
        phases = list(rollout.phases.all())
        done = sum(p.state == PhaseState.PASSED.value for p in phases)
        baking = sum(p.state == PhaseState.BAKING.value for p in phases)
        out.append(ListRow(rollout, [list(p.regions) for p in phases], done, len(phases),
                           baking))
    return out


# --- one rollout ----------------------------------------------------------------------------

@dataclass
class ActionButton:
    action: str
    label: str
    enabled: bool = True
    why_not: str = ""
    css: str = ""
    confirm: str = ""


@dataclass
class RolloutStatus:
    """Everything the rollout page shows; `as_json()` is the status endpoint's answer."""

    rollout: Rollout
    phases: list[dict[str, Any]]
    events: list[dict[str, Any]]
    colours: dict[str, str]
    live: dict[str, str | None]
    buttons: list[ActionButton] = field(default_factory=list)
    can_rollback: bool = False
    rollback_changes: list[dict[str, Any]] = field(default_factory=list)
    freeze: dict[str, Any] | None = None
    can_override_freeze: bool = False
    next_due: dict[str, Any] | None = None
    gates: list[dict[str, Any]] = field(default_factory=list)
    done: int = 0
    baking: int = 0

    @property
    def total(self) -> int:
        return len(self.phases)

    @property
    def percent(self) -> int:
        return progress_percent(self.rollout.state, self.done, self.baking, self.total)

    def as_json(self) -> dict[str, Any]:
        r = self.rollout
        return {
            "id": r.id, "state": r.state, "version": r.version_id,
            "created_by": r.created_by.username,
            "approved_by": r.approved_by.username if r.approved_by else None,
            "plan_digest": r.plan_digest, "on_gate_failure": r.on_gate_failure,
            "created_at": iso(r.created_at), "started_at": iso(r.started_at),
            "finished_at": iso(r.finished_at), "rollback_reason": r.rollback_reason,
            "progress": {"done": self.done, "total": self.total, "percent": self.percent},
            "phases": self.phases, "events": self.events, "live": self.live,
            "actions": [b.action for b in self.buttons if b.enabled],
            "can_rollback": self.can_rollback, "rollback_changes": self.rollback_changes,
            "freeze": self.freeze, "next_due": self.next_due, "gates": self.gates,
            "server_time": timezone.now().isoformat(),
        }


def rollout_status_of(rollout: Rollout, user: AbstractBaseUser | None) -> RolloutStatus:
    """Everything the rollout page shows of `rollout` to `user`, read now."""
    now = timezone.now()
    phases = phase_list(rollout=rollout)
    colours = _colours(rollout, phases)
    latest = latest_activations()
    state = State(rollout.state)
    freezes = freeze_window_list(now=now)
    freeze_now = active_freeze([FreezeView(f.starts_at, f.ends_at) for f in freezes], now)
    status = RolloutStatus(rollout=rollout, phases=[], events=_events(rollout, now),
                           colours=colours, live=_live_versions(phases, latest),
                           gates=gate_plan_rows(rollout.gates.order_by("id")))
    for p in phases:
        status.phases.append(_phase_row(p, colours, freeze_now is not None, now))
        status.done += p.state == PhaseState.PASSED.value
        status.baking += p.state == PhaseState.BAKING.value
    status.next_due = _next_due(state, phases, freezes, now)
    if freeze_now is not None:
        status.freeze = _freeze_shown(freeze_now, freezes, status.phases, now)
    _buttons(status, rollout, state, user)
    if status.can_rollback:
        status.rollback_changes = rollback_changes(rollout, phases, latest)
    return status


def _events(rollout: Rollout, now: datetime) -> list[dict[str, Any]]:
    return [event_row(e.at, e.kind, e.message, e.actor.username if e.actor else None, now)
            for e in rollout_event_list(rollout=rollout)]


def _live_versions(phases: list[Phase], latest: dict[str, Activation]) -> dict[str, str | None]:
    """Each region the plan touches -> the version live there now (None: not live)."""
    touched = [r for p in phases for r in p.regions]
    return {r: (latest[r].version_id if r in latest else None) for r in touched}


def _colours(rollout: Rollout, phases: list[Phase]) -> dict[str, str]:
    """A colour for each region of the version (or, without its stats, of the plan)."""
    codes = list(rollout.version.stats.get("region_codes", [])) or [
        r for p in phases for r in p.regions]
    return region_colours(codes, universe=known_region_codes())


def _phase_row(p: Phase, colours: dict[str, str], frozen: bool,
               now: datetime) -> dict[str, Any]:
    """One phase as the page and the status endpoint show it; `frozen`: a freeze is open now
    (it holds a pending phase without an override)."""
    held = frozen and p.state == PhaseState.PENDING.value and not p.freeze_override_reason
    return {
        "number": p.index + 1, "regions": list(p.regions), "state": p.state,
        "chips": [{"code": r, "colour": colours.get(r, "#5f6b7a")} for r in p.regions],
        "bake_minutes": p.bake_minutes, "start_after": iso(p.start_after),
        "activated_at": iso(p.activated_at), "bake_until": iso(p.bake_until),
        "finished_at": iso(p.finished_at), "held_by_freeze": held,
        "labels": {"start_after": when(p.start_after, now),
                   "activated_at": when(p.activated_at, now),
                   "bake_until": when(p.bake_until, now),
                   "finished_at": when(p.finished_at, now)},
        "freeze_override": _freeze_override(p),
        "gate_results": [gate_result_row(g, lambda m: when(m, now))
                         for g in p.gate_results.all()],
    }


def _freeze_override(p: Phase) -> dict[str, Any] | None:
    if not p.freeze_override_reason:
        return None
    return {"reason": p.freeze_override_reason,
            "by": p.freeze_override_by.username if p.freeze_override_by else None}


def _next_due(state: State, phases: list[Phase], freezes: list[FreezeWindow],
              now: datetime) -> dict[str, Any] | None:
    """What the rollout waits for and until when (the engine's own rule, lifecycle.next_step),
    or None when it waits for nothing with a time."""
    step = next_step(state, [LifecyclePhase(p.index, PhaseState(p.state), p.start_after,
                                            p.bake_until) for p in phases], now,
                     [FreezeView(f.starts_at, f.ends_at) for f in freezes],
                     frozenset(p.index for p in phases if p.freeze_override_reason))
    if step.kind != StepKind.WAIT or step.due_at is None or step.phase is None:
        return None
    what = {"baking": f"phase {step.phase + 2} starts" if step.phase + 1 < len(phases)
            else "the rollout completes",
            "earliest start": f"phase {step.phase + 1} starts",
            "change freeze": f"phase {step.phase + 1} may start (change freeze)"}
    return {"at": iso(step.due_at), "at_label": when(step.due_at, now),
            "what": what.get(step.reason, step.reason),
            "reason": step.reason, "phase": step.phase + 1}


def _freeze_shown(freeze_now: FreezeView, freezes: list[FreezeWindow],
                  phases: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The freeze open now, and the phase it holds (if any)."""
    window = next(f for f in freezes if f.ends_at == freeze_now.ends_at
                  and f.starts_at == freeze_now.starts_at)
    held_phase = next((ph for ph in phases if ph["held_by_freeze"]), None)
    return {"reason": window.reason, "starts_at": iso(window.starts_at),
            "ends_at": iso(window.ends_at), "ends_label": when(window.ends_at, now),
            "held_phase": held_phase["number"] if held_phase else None}


def rollback_changes(rollout: Rollout, phases: list[Phase],
                     latest: dict[str, Activation]) -> list[dict[str, Any]]:
    """For each region the one click would put back (`rollback_targets`, the very list the
    rollback acts on): its live version now and the version it would restore (None: not live)."""
    changes = []
    for target in rollback_targets(rollout=rollout, phases=phases):
        restore = target.version.id if target.version is not None else None
        current = latest[target.region].version_id if target.region in latest else None
        changes.append({"region": target.region, "current": current, "restore": restore,
                        "unchanged": current == restore,
                        "text": (f"{target.region}: {short(current)} → back to "
                                 f"{short(restore) if restore else 'not live'}")})
    return changes


def _buttons(status: RolloutStatus, rollout: Rollout, state: State,
             user: AbstractBaseUser | None) -> None:
    roles = user_roles(user=user)
    buttons = status.buttons
    if Role.APPROVER in roles and can(Action.APPROVE, state):
        creator = rollout.created_by_id == getattr(user, "id", None)
        buttons.append(ActionButton(
            "approve", "Approve", enabled=not creator, css="primary",
            why_not=("Four eyes: you created this rollout, so another approver must approve it."
                     if creator else "")))
    if Role.OPERATOR in roles:
        if can(Action.START, state):
            buttons.append(ActionButton("start", "Start", css="primary",
                                        confirm="Start the rollout now? Phase 1 activates at "
                                                "once unless it has a later earliest start."))
        if can(Action.PAUSE, state):
            buttons.append(ActionButton("pause", "Pause"))
        if can(Action.RESUME, state):
            buttons.append(ActionButton("resume", "Resume", css="primary"))
    if any(role in roles for role in CANCEL_ROLES) and can(Action.CANCEL, state):
        buttons.append(ActionButton("cancel", "Cancel rollout",
                                    confirm="Cancel this rollout? It can never be started."))
    status.can_rollback = Role.OPERATOR in roles and can(Action.ROLLBACK, state)
    status.can_override_freeze = Role.OPERATOR in roles and status.freeze is not None and bool(
        status.freeze.get("held_phase"))
