"""State and event names in words: the one mapping every badge, list and live update uses.

Names such as `rolled_back` or `phase_activated` are identifiers (the API, the CLI's JSON and
CSS classes keep them); people read "rolled back" and "phase activated".
"""

from __future__ import annotations

from rollout.domain.lifecycle import PhaseState, State

#: timeline event kinds (rollout.services.timeline.rollout_event_record callers) in words
EVENTS = {
    "created": "created",
    "plan_changed": "plan changed",
    "approved": "approved",
    "started": "started",
    "paused": "paused",
    "resumed": "resumed",
    "cancelled": "cancelled",
    "phase_blocked": "phase blocked",
    "phase_activated": "phase activated",
    "gates_passed": "gates passed",
    "gates_failed": "gates failed",
    "freeze_overridden": "freeze overridden",
    "rollback_refused": "rollback refused",
    "rolled_back": "rolled back",
    "completed": "completed",
}

#: every rollout state, phase state and event kind -> its words
WORDS: dict[str, str] = {
    **{state.value: state.value.replace("_", " ") for state in State},
    **{state.value: state.value.replace("_", " ") for state in PhaseState},
    **EVENTS,
}


def in_words(name: object) -> str:
    """A state or event name as people read it (an unknown name with its underscores as
    spaces, so a new kind never shows raw)."""
    text = str(name or "")
    return WORDS.get(text, text.replace("_", " "))
