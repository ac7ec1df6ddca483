"""The rollout state machine (DESIGN section 6): states, allowed transitions, and the next step.

    draft -> approved -> running <-> paused -> completed | rolled_back | failed
    draft | approved -> cancelled

Pure functions over plain values, so the engine, the API (409 for a refused transition) and the
UI (which buttons to show) all ask the same questions and get the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rollout.domain.errors import ErrorKind, RolloutError


class State(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    APPROVE = "approve"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    ROLLBACK = "rollback"
    COMPLETE = "complete"
    FAIL = "fail"
    EDIT = "edit"


class PhaseState(StrEnum):
    PENDING = "pending"
    BAKING = "baking"
    PASSED = "passed"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    SKIPPED = "skipped"


#: action -> (states it is allowed from, state it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    Action.APPROVE: (frozenset({State.DRAFT}), State.APPROVED),
    Action.EDIT: (frozenset({State.DRAFT, State.APPROVED}), State.DRAFT),
    Action.CANCEL: (frozenset({State.DRAFT, State.APPROVED}), State.CANCELLED),
    Action.START: (frozenset({State.APPROVED}), State.RUNNING),
    Action.PAUSE: (frozenset({State.RUNNING}), State.PAUSED),
    Action.RESUME: (frozenset({State.PAUSED}), State.RUNNING),
    # A rollback works from any state after the start, completed and failed included.
    Action.ROLLBACK: (frozenset({State.RUNNING, State.PAUSED, State.COMPLETED, State.FAILED}),
                      State.ROLLED_BACK),
    Action.COMPLETE: (frozenset({State.RUNNING}), State.COMPLETED),
    Action.FAIL: (frozenset({State.RUNNING, State.PAUSED}), State.FAILED),
}

TERMINAL = frozenset({State.COMPLETED, State.ROLLED_BACK, State.FAILED, State.CANCELLED})


class TransitionRefused(RolloutError):
    """The state machine does not allow this action in this state (the API answers 409, with
    the state and the action)."""

    kind = ErrorKind.CONFLICT

    def __init__(self, action: Action, state: State) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[action][0]))
        super().__init__(f"cannot {action.value} a rollout that is {state.value} "
                         f"(only from: {allowed})")
        self.action = action
        self.state = state

    def details(self) -> dict[str, object]:
        return {"state": self.state.value, "action": self.action.value}


def can(action: Action, state: State) -> bool:
    return state in TRANSITIONS[action][0]


def transition(action: Action, state: State) -> State:
    """The state `action` leads to from `state`; raises `TransitionRefused` if not allowed."""
    allowed_from, target = TRANSITIONS[action]
    if state not in allowed_from:
        raise TransitionRefused(action, state)
    return target


def allowed_actions(state: State) -> list[Action]:
    """Actions a person may take now (the system's own COMPLETE and FAIL left out)."""
    return [a for a in TRANSITIONS if a not in (Action.COMPLETE, Action.FAIL) and can(a, state)]


class StepKind(StrEnum):
    NONE = "none"  # nothing to do: not running, or finished
    WAIT = "wait"  # the next step is due at `due_at`
    ACTIVATE = "activate"  # activate the current phase's regions
    EVALUATE = "evaluate"  # the bake is over: evaluate the gates
    COMPLETE = "complete"  # every phase passed


@dataclass(frozen=True)
class PhaseView:
    """What the engine knows of one phase, as plain values."""

    index: int
    state: PhaseState
    start_after: datetime | None
    bake_until: datetime | None


@dataclass(frozen=True)
class FreezeView:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Step:
    kind: StepKind
    phase: int | None = None
    due_at: datetime | None = None
    reason: str = ""


def next_step(
    state: State,
    phases: list[PhaseView],
    now: datetime,
    freezes: Sequence[FreezeView] = (),
    overridden: frozenset[int] = frozenset(),
) -> Step:
    """The one next thing a running rollout should do, or when to look again.

    `overridden` holds phases an operator has released from change freezes (with a reason).
    """
    if state != State.RUNNING:
        return Step(StepKind.NONE, reason=f"rollout is {state.value}")
    for phase in sorted(phases, key=lambda p: p.index):
        if phase.state == PhaseState.PASSED or phase.state == PhaseState.SKIPPED:
            continue
        if phase.state == PhaseState.BAKING:
            if phase.bake_until is not None and phase.bake_until > now:
                return Step(StepKind.WAIT, phase.index, phase.bake_until, "baking")
            return Step(StepKind.EVALUATE, phase.index, now, "bake time over")
        if phase.state != PhaseState.PENDING:
            return Step(StepKind.NONE, phase.index, reason=f"phase {phase.state.value}")
        if phase.start_after is not None and phase.start_after > now:
            return Step(StepKind.WAIT, phase.index, phase.start_after, "earliest start")
        if phase.index not in overridden:
            freeze = active_freeze(freezes, now)
            if freeze is not None:
                return Step(StepKind.WAIT, phase.index, freeze.ends_at, "change freeze")
        return Step(StepKind.ACTIVATE, phase.index, now, "phase due")
    return Step(StepKind.COMPLETE, None, now, "every phase passed")


def active_freeze(freezes: Sequence[FreezeView], now: datetime) -> FreezeView | None:
    """The freeze window covering `now` that ends last (so waiting for it clears them all)."""
    covering = [f for f in freezes if f.starts_at <= now < f.ends_at]
    return max(covering, key=lambda f: f.ends_at) if covering else None
