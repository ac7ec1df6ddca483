"""Factories for rollout tests: prepared versions of the east-coast example, people with roles,
live activations and rollouts in a chosen state (STYLE.md rule 8: built in code, no fixture files).

The example has three regions: NE (zones 021-112), MA (191, 200, 212) and SE (282, 303).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from rollout.domain.lifecycle import Step, StepKind
from rollout.models import Activation, Rollout, Version
from rollout.services import live as live_service
from rollout.services.activations import activation_create, region_rollback
from rollout.services.engine import rollout_advance
from rollout.services.live_network import latest_activations
from rollout.services.roles import Role, role_grant
from rollout.services.rollbacks import rollout_rollback
from rollout.services.rollouts import (
    GatePlan,
    PhasePlan,
    rollout_approve,
    rollout_create,
    rollout_start,
)
from tests.factories import user_factory, version_factory

REGIONS = ("NE", "MA", "SE")

#: regions.yaml edit moving zone 282 (Charlotte) from SE to MA: MA ["150-219", "270-289"], SE
#: ["290-319"] (one replacement, as `east_coast_files` takes one per file).
MOVE_282_TO_MA = (
    'zones: ["150-219"]\n    facilities: [FC-BWI2, SC-BWI5, DS-PHL5, DS-BWI8, DS-DCA1]\n'
    '  - code: SE\n    name: Southeast\n    zones: ["270-319"]',
    'zones: ["150-219", "270-289"]\n    facilities: [FC-BWI2, SC-BWI5, DS-PHL5, DS-BWI8, DS-DCA1]\n'
    '  - code: SE\n    name: Southeast\n    zones: ["290-319"]',
)

#: network.yaml edit removing zone 282 altogether.
RETIRE_282 = ('  - {id: "282", lat: 35.23, lon: -80.84, station: DS-CLT4, demand: 5000}\n', "")

#: routing.yaml edit: Newark's zones try Boston before Robbinsville.
NEWARK_FROM_BOSTON = ("fcs: [FC-EWR4, FC-BOS7]", "fcs: [FC-BOS7, FC-EWR4]")


def original_version() -> Version:
    """The east-coast example exactly as shipped."""
    return version_factory("the example")


def moved_282_version() -> Version:
    """Zone 282 belongs to MA instead of SE (both region definitions edited)."""
    return version_factory("move 282 to MA", regions=MOVE_282_TO_MA)


def rerouted_version() -> Version:
    """A different routing: Newark's zones ship from Boston first."""
    return version_factory("Newark from Boston first", routing=NEWARK_FROM_BOSTON)


def retired_282_version() -> Version:
    """Zone 282 is gone from the network (a zone retired); SE keeps its "270-319" range."""
    return version_factory("retire zone 282", network=RETIRE_282)


@dataclass(frozen=True)
class People:
    editor: User
    approver: User
    operator: User
    viewer: User


def people() -> People:
    """One user per role (the editor creates, another approves, a third operates)."""
    editor, approver = user_factory("edna"), user_factory("abe")
    operator, viewer = user_factory("otto"), user_factory("vera")
    role_grant(user=editor, role=Role.EDITOR)
    role_grant(user=approver, role=Role.APPROVER)
    role_grant(user=operator, role=Role.OPERATOR)
    role_grant(user=viewer, role=Role.VIEWER)
    return People(editor=editor, approver=approver, operator=operator, viewer=viewer)


def make_live(version: Version | None, regions: Sequence[str] = REGIONS,
              kind: str = Activation.Kind.ACTIVATE) -> list[Activation]:
    """Put `regions` on `version` directly (as a finished rollout would have)."""
    with transaction.atomic():
        return activation_create(regions=list(regions), version=version, kind=kind, actor=None,
                                 reason="test setup")


def phases_of(*groups: Sequence[str], bake_minutes: float = 30.0,
              start_after: datetime | None = None) -> list[PhasePlan]:
    return [PhasePlan(regions=list(group), bake_minutes=bake_minutes, start_after=start_after)
            for group in groups]


def rollout_factory(
    version: Version,
    *groups: Sequence[str],
    who: People,
    bake_minutes: float = 30.0,
    gates: Sequence[GatePlan] = (),
    on_gate_failure: str = Rollout.OnGateFailure.ROLLBACK,
    state: str = "draft",
    phases: list[PhasePlan] | None = None,
) -> Rollout:
    """A rollout of `version` in phases `groups`, taken to `state` (draft, approved, running)."""
    plan = phases if phases is not None else phases_of(*(groups or [REGIONS]),
                                                       bake_minutes=bake_minutes)
    rollout = rollout_create(version=version, phases=plan, gates=list(gates),
                             on_gate_failure=on_gate_failure, actor=who.editor)
    if state in ("approved", "running"):
        rollout = rollout_approve(rollout_id=rollout.id, actor=who.approver)
    if state == "running":
        rollout = rollout_start(rollout_id=rollout.id, actor=who.operator)
    rollout.refresh_from_db()
    return rollout


def live_versions() -> dict[str, str | None]:
    """Region code -> the version id it is live on (None: taken out of service)."""
    return {code: a.version_id for code, a in latest_activations().items()}


class Clock:
    """A test clock that only moves forward (the engine takes `now` explicitly)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or timezone.now()

    def advance(self, minutes: float) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


def live_state_forget() -> None:
    """Forget the process-wide composite and route caches.

    They are keyed by the newest activation id, and ids are reused once a test's transaction
    (or a savepoint) rolls back, so a cache from one test would otherwise answer for the next.
    """
    live_service.live_state_forget()


def drive(rollout_id: int, clock: Clock, *, max_steps: int = 20) -> list[Step]:
    """Advance a rollout until nothing is left to do, moving the clock to each due time."""
    steps: list[Step] = []
    for _ in range(max_steps):
        step = rollout_advance(rollout_id=rollout_id, now=clock.now)
        steps.append(step)
        if step.kind == StepKind.WAIT:
            assert step.due_at is not None
            clock.now = max(clock.now, step.due_at)
        elif step.kind in (StepKind.NONE, StepKind.COMPLETE):
            return steps
    raise AssertionError(f"rollout {rollout_id} still busy after {max_steps} steps: {steps}")


#: one microsecond: an instant just before or just after an activation
TICK = timedelta(microseconds=1)


def history_story(who: People) -> dict[str, Any]:
    """The original live everywhere, a two-phase rollout of the rerouted version (NE, then MA
    and SE), a region rollback of SE to the original, then the one-click rollback of the
    rollout; the instants of each change."""
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    rollout = rollout_factory(rerouted, ["NE"], ["MA", "SE"], who=who, state="running",
                              bake_minutes=0)
    drive(rollout.id, Clock())
    region_rollback(region="SE", version=original, reason="SE misroutes", actor=who.operator)
    rollout_rollback(rollout_id=rollout.id, reason="back out", actor=who.operator)
    rows = list(Activation.objects.order_by("id"))
    by_kind: dict[str, list[Activation]] = {}
    for row in rows:
        key = row.kind if row.kind != "activate" or row.rollout_id is None else \
            f"phase{row.phase.index + 1}"  # type: ignore[union-attr]
        by_kind.setdefault(key, []).append(row)
    return {"original": original.id, "rerouted": rerouted.id, "rows": by_kind,
            "first": rows[0].created_at}
