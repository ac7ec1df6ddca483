"""The rollout state machine: every transition allowed or refused, and the engine's next step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rollout.domain.lifecycle import (
    TERMINAL,
    TRANSITIONS,
    Action,
    FreezeView,
    PhaseState,
    PhaseView,
    State,
    Step,
    StepKind,
    TransitionRefused,
    active_freeze,
    allowed_actions,
    can,
    next_step,
    transition,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

#: The whole machine as DESIGN section 6 draws it: (action, from) -> to. Anything else refuses.
ALLOWED: dict[tuple[Action, State], State] = {
    (Action.APPROVE, State.DRAFT): State.APPROVED,
    (Action.EDIT, State.DRAFT): State.DRAFT,
    (Action.EDIT, State.APPROVED): State.DRAFT,
    (Action.CANCEL, State.DRAFT): State.CANCELLED,
    (Action.CANCEL, State.APPROVED): State.CANCELLED,
    (Action.START, State.APPROVED): State.RUNNING,
    (Action.PAUSE, State.RUNNING): State.PAUSED,
    (Action.RESUME, State.PAUSED): State.RUNNING,
    (Action.ROLLBACK, State.RUNNING): State.ROLLED_BACK,
    (Action.ROLLBACK, State.PAUSED): State.ROLLED_BACK,
    (Action.ROLLBACK, State.COMPLETED): State.ROLLED_BACK,
    (Action.ROLLBACK, State.FAILED): State.ROLLED_BACK,
    (Action.COMPLETE, State.RUNNING): State.COMPLETED,
    (Action.FAIL, State.RUNNING): State.FAILED,
    (Action.FAIL, State.PAUSED): State.FAILED,
}
REFUSED = [(a, s) for a in Action for s in State if (a, s) not in ALLOWED]


def phase(index: int, state: PhaseState = PhaseState.PENDING, *,
          start_after: datetime | None = None, bake_until: datetime | None = None) -> PhaseView:
    return PhaseView(index=index, state=state, start_after=start_after, bake_until=bake_until)


# --- transitions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "state"), list(ALLOWED), ids=lambda v: v.value)
def test_transition__allowed_pair__leads_to_the_designed_state(action: Action,
                                                                state: State) -> None:
    # Given an action the design allows from this state
    # When it is applied
    target = transition(action, state)

    # Then it leads where DESIGN section 6 says, and `can` agrees
    assert target == ALLOWED[(action, state)]
    assert can(action, state)


@pytest.mark.parametrize(("action", "state"), REFUSED, ids=lambda v: v.value)
def test_transition__refused_pair__raises_transition_refused_naming_both(action: Action,
                                                                         state: State) -> None:
    # Given an action the design does not allow from this state
    # When it is applied
    with pytest.raises(TransitionRefused) as caught:
        transition(action, state)

    # Then the refusal says what was refused, in which state, and from where it works
    allowed_from = sorted(source.value for (a, source) in ALLOWED if a == action)
    assert str(caught.value) == (f"cannot {action.value} a rollout that is {state.value} "
                                 f"(only from: {', '.join(allowed_from)})")
    assert (caught.value.action, caught.value.state) == (action, state)
    assert not can(action, state)


def test_transitions__table__is_exactly_the_designed_machine() -> None:
    # Given the module's transition table
    # When it is flattened into (action, from) -> to pairs
    table = {(action, source): target for action, (sources, target) in TRANSITIONS.items()
             for source in sources}

    # Then it holds exactly the designed pairs, and terminal states lead nowhere but rollback
    assert table == ALLOWED
    assert {State.COMPLETED, State.ROLLED_BACK, State.FAILED, State.CANCELLED} == TERMINAL


@pytest.mark.parametrize(("state", "expected"), [
    (State.DRAFT, [Action.APPROVE, Action.EDIT, Action.CANCEL]),
    (State.APPROVED, [Action.EDIT, Action.CANCEL, Action.START]),
    (State.RUNNING, [Action.PAUSE, Action.ROLLBACK]),
    (State.PAUSED, [Action.RESUME, Action.ROLLBACK]),
    (State.COMPLETED, [Action.ROLLBACK]),
    (State.FAILED, [Action.ROLLBACK]),
    (State.ROLLED_BACK, []),
    (State.CANCELLED, []),
], ids=lambda v: v.value if isinstance(v, State) else "")
def test_allowed_actions__each_state__lists_the_human_actions(state: State,
                                                              expected: list[Action]) -> None:
    # Given a rollout in `state`
    # When the UI asks which buttons to show
    actions = allowed_actions(state)

    # Then it gets the designed actions, never the engine's own COMPLETE and FAIL
    assert actions == expected
    assert Action.COMPLETE not in actions and Action.FAIL not in actions


# --- next step -----------------------------------------------------------------------------


@pytest.mark.parametrize("state", [s for s in State if s != State.RUNNING],
                         ids=lambda s: s.value)
def test_next_step__rollout_not_running__nothing_to_do(state: State) -> None:
    # Given a rollout that is not running, with a phase that would otherwise be due
    # When the engine asks for the next step
    step = next_step(state, [phase(0)], NOW)

    # Then there is nothing to do
    assert step == Step(StepKind.NONE, reason=f"rollout is {state.value}")


def test_next_step__first_phase_pending_and_due__activates_it() -> None:
    step = next_step(State.RUNNING, [phase(0), phase(1)], NOW)

    assert step == Step(StepKind.ACTIVATE, 0, NOW, "phase due")


def test_next_step__phase_pending_before_its_start_after__waits_until_then() -> None:
    # Given a pending phase whose earliest start is an hour away
    later = NOW + HOUR

    # When the engine looks now
    step = next_step(State.RUNNING, [phase(0, start_after=later)], NOW)

    # Then it waits until the earliest start
    assert step == Step(StepKind.WAIT, 0, later, "earliest start")


def test_next_step__start_after_reached__activates() -> None:
    step = next_step(State.RUNNING, [phase(0, start_after=NOW)], NOW)

    assert step.kind == StepKind.ACTIVATE and step.phase == 0


def test_next_step__inside_a_freeze__waits_until_the_last_covering_freeze_ends() -> None:
    # Given two overlapping freezes covering now and one in the past
    freezes = [FreezeView(NOW - HOUR, NOW + HOUR), FreezeView(NOW - 2 * HOUR, NOW + 3 * HOUR),
               FreezeView(NOW - 5 * HOUR, NOW - 4 * HOUR)]

    # When a phase is due
    step = next_step(State.RUNNING, [phase(0)], NOW, freezes)

    # Then it waits for the end of the freeze that ends last
    assert step == Step(StepKind.WAIT, 0, NOW + 3 * HOUR, "change freeze")


def test_next_step__freeze_ends_exactly_now__activates() -> None:
    # Given a freeze window that ends at this very moment (end is exclusive)
    freezes = [FreezeView(NOW - HOUR, NOW)]

    step = next_step(State.RUNNING, [phase(0)], NOW, freezes)

    assert step.kind == StepKind.ACTIVATE


def test_next_step__freeze_overridden_for_the_phase__activates_despite_the_freeze() -> None:
    # Given a freeze covering now, and an operator's override on phase 1 (index 1)
    freezes = [FreezeView(NOW - HOUR, NOW + HOUR)]
    phases = [phase(0, PhaseState.PASSED), phase(1)]

    # When the engine looks
    step = next_step(State.RUNNING, phases, NOW, freezes, overridden=frozenset({1}))

    # Then the overridden phase starts
    assert step == Step(StepKind.ACTIVATE, 1, NOW, "phase due")


def test_next_step__override_on_another_phase__still_waits() -> None:
    freezes = [FreezeView(NOW - HOUR, NOW + HOUR)]

    step = next_step(State.RUNNING, [phase(0)], NOW, freezes, overridden=frozenset({1}))

    assert step.kind == StepKind.WAIT and step.reason == "change freeze"


def test_next_step__freeze_and_later_start_after__earliest_start_reported_first() -> None:
    freezes = [FreezeView(NOW - HOUR, NOW + HOUR)]

    step = next_step(State.RUNNING, [phase(0, start_after=NOW + 2 * HOUR)], NOW, freezes)

    assert step == Step(StepKind.WAIT, 0, NOW + 2 * HOUR, "earliest start")


def test_next_step__baking__waits_until_bake_until() -> None:
    # Given phase 1 passed and phase 2 baking for another hour
    phases = [phase(0, PhaseState.PASSED), phase(1, PhaseState.BAKING, bake_until=NOW + HOUR)]

    step = next_step(State.RUNNING, phases, NOW)

    assert step == Step(StepKind.WAIT, 1, NOW + HOUR, "baking")


def test_next_step__baking_inside_a_freeze__still_evaluates_when_the_bake_is_over() -> None:
    # A freeze holds phases back from starting; it does not hold back judging one that runs.
    freezes = [FreezeView(NOW - HOUR, NOW + HOUR)]

    step = next_step(State.RUNNING, [phase(0, PhaseState.BAKING, bake_until=NOW)], NOW, freezes)

    assert step == Step(StepKind.EVALUATE, 0, NOW, "bake time over")


@pytest.mark.parametrize("bake_until", [NOW, NOW - HOUR, None], ids=["exactly", "past", "none"])
def test_next_step__bake_over__evaluates_the_gates(bake_until: datetime | None) -> None:
    step = next_step(State.RUNNING, [phase(0, PhaseState.BAKING, bake_until=bake_until)], NOW)

    assert step == Step(StepKind.EVALUATE, 0, NOW, "bake time over")


def test_next_step__all_phases_passed_or_skipped__completes() -> None:
    phases = [phase(1, PhaseState.PASSED), phase(0, PhaseState.SKIPPED)]

    step = next_step(State.RUNNING, phases, NOW)

    assert step == Step(StepKind.COMPLETE, None, NOW, "every phase passed")


def test_next_step__phases_given_out_of_order__looks_at_the_lowest_index_first() -> None:
    phases = [phase(1), phase(0, PhaseState.BAKING, bake_until=NOW + HOUR)]

    step = next_step(State.RUNNING, phases, NOW)

    assert step.kind == StepKind.WAIT and step.phase == 0


@pytest.mark.parametrize("state", [PhaseState.FAILED, PhaseState.ROLLED_BACK],
                         ids=lambda s: s.value)
def test_next_step__phase_failed_or_rolled_back__does_nothing(state: PhaseState) -> None:
    step = next_step(State.RUNNING, [phase(0, state), phase(1)], NOW)

    assert step == Step(StepKind.NONE, 0, reason=f"phase {state.value}")


def test_next_step__no_phases__completes() -> None:
    assert next_step(State.RUNNING, [], NOW).kind == StepKind.COMPLETE


def test_active_freeze__none_covering__none() -> None:
    freezes = [FreezeView(NOW + HOUR, NOW + 2 * HOUR)]

    assert active_freeze(freezes, NOW) is None
    assert active_freeze([], NOW) is None
