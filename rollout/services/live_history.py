"""What was live at an instant: the composite state and the routes as they were at time T.

Answered from the append-only activations, never by replaying the audit log: the state at T is
the live state after the newest activation made at or before T (`live_state_at`, which loads
that activation's stored `LiveStateRecord`, written by the transaction that made it, or builds
it from the activations up to it). The last few past states are kept in the process, so an
incident review that asks many zones at one instant builds nothing twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.models import Activation, LiveStateRecord
from rollout.services.live import LiveState, live_state, live_state_at, live_summary

#: past live states kept in a process (each holds its routes: about 1 MB at national scale)
KEPT_STATES = 8


class InstantRefused(RolloutError):
    """An instant that cannot be asked about: not ISO 8601, without a time zone, or in the
    future (400; commands: unusable argument)."""

    kind = ErrorKind.UNUSABLE


def instant_parse(*, text: str) -> datetime:
    """An ISO 8601 instant with its time zone ("2026-11-30T14:54:00Z"), as the API's `at`
    parameter and the commands' `--at` take it."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InstantRefused(f"{text!r} is not an ISO 8601 time such as "
                             "2026-11-30T14:54:00Z") from None
    _check_instant(at)
    return at


@dataclass(frozen=True)
class LivePoint:
    """A live state other systems could see: the activations one transaction wrote (in
    order), named by its sequence (the newest activation id in it)."""

    sequence: int
    activations: list[Activation]


def live_points(*, after: int = 0) -> list[LivePoint]:
    """Every live state after sequence `after`, oldest first: where each writer's transaction
    ended (see `_ends_point`)."""
    rows = list(Activation.objects.filter(id__gt=after).order_by("id")
                .select_related("actor", "rollout", "phase", "version"))
    published = _published(after=after)
    points: list[LivePoint] = []
    group: list[Activation] = []
    for index, row in enumerate(rows):
        group.append(row)
        if _ends_point(row, rows[index + 1] if index + 1 < len(rows) else None, published):
            points.append(LivePoint(sequence=row.id, activations=group))
            group = []
    return points


def live_sequence_at(*, at: datetime) -> int:
    """The sequence of the live state at `at` (0: nothing had been activated): the newest
    point whose transaction had ended by then. An instant between two activations of one
    transaction (a phase writes one row per region) is before that transaction."""
    _check_instant(at)
    newest = Activation.objects.filter(created_at__lte=at).order_by("-created_at", "-id").first()
    if newest is None:
        return 0
    following = Activation.objects.filter(id__gt=newest.id).order_by("id").first()
    if _ends_point(newest, following, _published(after=newest.id - 1)):
        return newest.id
    return _point_before(newest)  # inside a transaction: what was live before it


def live_sequence_before(*, sequence: int) -> int:
    """The sequence of the live state just before the one at `sequence` (0: none)."""
    row = Activation.objects.filter(id=sequence).first()
    return 0 if row is None else _point_before(row)


def _point_before(row: Activation) -> int:
    """The end of the point before the one `row` belongs to: walking back over the rows of
    its transaction to the row before the first of them."""
    earlier = Activation.objects.filter(id__lt=row.id).order_by("-id")[:_MAX_WALK]
    published = _published(after=max(row.id - _MAX_WALK - 1, 0))
    later = row
    for candidate in earlier:
        if _ends_point(candidate, later, published):
            return candidate.id
        later = candidate
    return 0


#: rows walked back to the start of a transaction (one writes at most one per region)
_MAX_WALK = 1000


def _published(*, after: int) -> set[int]:
    """The sequences of states their writers published (one per transaction) after `after`."""
    return set(LiveStateRecord.objects.filter(at_activation__gt=after)
               .values_list("at_activation", flat=True))


def _ends_point(row: Activation, following: Activation | None, published: set[int]) -> bool:
    """Whether `row` is the last activation of its transaction: its writer published the live
    state at it (`LiveStateRecord`), or, for history older than those records, the next
    activation belongs to another action (another kind, rollout, phase, actor or reason)."""
    # The rows of one transaction share their action, so the second rule never splits one;
    # it can only join two unpublished transactions of the same action (the first is exact).
    return following is None or row.id in published or _action(following) != _action(row)


def _action(row: Activation) -> tuple[object, ...]:
    return (row.kind, row.rollout_id, row.phase_id, row.actor_id, row.reason)


def live_state_as_of(*, at: datetime) -> LiveState | None:
    """The live state at `at`, or None when nothing had been activated yet."""
    sequence = live_sequence_at(at=at)
    return None if sequence == 0 else live_state_kept(sequence=sequence)


def live_state_kept(*, sequence: int) -> LiveState:
    """`live_state_at(at_activation=sequence)`, kept among the last few asked here."""
    current = live_state()
    if current.at_activation == sequence:
        return current
    with _lock:
        kept = _states.get(sequence)
        if kept is not None:
            _states.move_to_end(sequence)
            return kept
    state = live_state_at(at_activation=sequence)
    with _lock:
        _states[sequence] = state
        while len(_states) > KEPT_STATES:
            _states.popitem(last=False)
    return state


def live_summary_as_of(*, at: datetime) -> dict[str, Any]:
    """`live_summary` as it was at `at`, with "at" and "sequence" (0 and no regions when
    nothing was live)."""
    sequence = live_sequence_at(at=at)
    if sequence == 0:
        return {"at": at.isoformat(), "sequence": 0, "regions": {}, "gaps": []}
    return {"at": at.isoformat(), "sequence": sequence,
            **live_summary(state=live_state_kept(sequence=sequence))}


def route_as_of(*, zone: str, at: datetime) -> dict[str, object] | None:
    """The route of `zone` as it was answered at `at` (None: not live then)."""
    state = live_state_as_of(at=at)
    return None if state is None else state.route(zone)


def forget_live_history() -> None:
    with _lock:
        _states.clear()


def _check_instant(at: datetime) -> None:
    if timezone.is_naive(at):
        raise InstantRefused(f"{at.isoformat()} has no time zone: give UTC, e.g. "
                             "2026-11-30T14:54:00Z")
    if at > timezone.now():
        raise InstantRefused(f"{at.isoformat()} is in the future")


_lock = threading.Lock()
_states: OrderedDict[int, LiveState] = OrderedDict()
