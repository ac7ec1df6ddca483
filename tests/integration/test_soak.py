"""Soak: two web processes, three workers, many rollouts driven through the REST API with random
pauses, resumes, one-click and region rollbacks, and a worker SIGKILLed every few seconds.

Marked `soak` and skipped unless RRM_SOAK_ROLLOUTS says how many rollouts to start (`.ci/run`
runs a bounded count; the figures in the issue's closing note come from 50, run by hand):

    RRM_SOAK_ROLLOUTS=50 DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... \\
        .venv/bin/pytest -s -m soak tests/integration/test_soak.py

RRM_SOAK_SEED replays a run's random choices (the seed is printed with the counts).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import Q
from django.utils import timezone

from rollout.domain.lifecycle import PhaseState, State
from rollout.models import Activation, AuditEvent, Phase, Rollout, RolloutEvent
from rollout.services.live import composite_findings
from rollout.services.live_network import live_network_with
from rollout.services.roles import Role
from rollout.services.tokens import token_create
from tests.factories import version_factory
from tests.integration.helpers import CeleryWorker, broker_purge, wait_for, worker_database_url
from tests.integration.scenario import REGIONS, baseline_live, people
from tests.integration.soak import Api, Operators, WebServer, WorkerKiller, elapsed

# pytest-timeout's 300 s default is per test; a soak's length grows with its count
SOAK_TIMEOUT = 180 + 30 * int(os.environ.get("RRM_SOAK_ROLLOUTS") or "0")
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.soak,
              pytest.mark.timeout(SOAK_TIMEOUT)]

IN_FLIGHT = 4  # rollouts running or paused at once
KILL_EVERY_SECONDS = 3.0  # on average; one of the running workers, at random
BAKE_MINUTES = (0.01, 0.03)  # 0.6 to 1.8 s per phase
SETTLE_SECONDS = 120.0
OVERDUE_SECONDS = 60.0  # a running rollout whose step is this late was lost (the sweep is 1 s)
TERMINAL = {State.COMPLETED, State.ROLLED_BACK, State.FAILED, State.CANCELLED}


def _soak_rollouts() -> int:
    count = int(os.environ.get("RRM_SOAK_ROLLOUTS", "0"))
    assert count > 0, "RRM_SOAK_ROLLOUTS must be a positive number of rollouts"
    return count


@pytest.fixture
def cluster(transactional_db: None, tmp_path: Path) -> Iterator[tuple[list[WebServer],
                                                                        list[CeleryWorker]]]:
    """Two gunicorn processes and three Celery workers (the first with the beat, sweeping every
    second) on the test database and the broker; all stopped before the tables are flushed."""
    broker_url = os.environ["CELERY_BROKER_URL"]
    broker_purge(broker_url)
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "CELERY_BROKER_URL": broker_url,
           "RRM_SWEEP_SECONDS": "1", "RRM_WRITE_RATE_PER_MINUTE": "0", "PYTHONUNBUFFERED": "1"}
    workers, webs = [], []
    try:
        for n in range(3):
            var = tmp_path / f"worker{n}"
            var.mkdir()
            workers.append(CeleryWorker(env={**env, "RRM_VAR_DIR": str(var)}, log_dir=var,
                                        beat=n == 0))
            workers[-1].start()
        for n in range(2):
            var = tmp_path / f"web{n}"
            var.mkdir()
            webs.append(WebServer(env={**env, "RRM_VAR_DIR": str(var)},
                                  log_path=var / "gunicorn.log"))
            webs[-1].start()
        yield webs, workers
    finally:
        for web in webs:
            web.stop()
        for worker in workers:
            worker.stop()


def test_soak__rollouts_pauses_rollbacks_and_killed_workers__each_phase_once_and_audited(
        cluster: tuple[list[WebServer], list[CeleryWorker]]) -> None:
    count = _soak_rollouts()
    seed = int(os.environ.get("RRM_SOAK_SEED", str(time.time_ns() % 1_000_000)))
    rng = random.Random(seed)
    webs, workers = cluster
    # Given the east coast live on the first of four versions that differ in a comment only
    # (so any mix of them is a valid network and every gate passes), and three people with
    # API tokens for their roles
    versions = [version_factory(f"soak v{n}", regions=("# Three regions.",
                                                       f"# Three regions (soak v{n})."))
                for n in range(4)]
    baseline_live(versions[0])
    who = people()
    ops = Operators(api=Api([web.url for web in webs]),
                    planner=token_create(user=who.planner, role=Role.EDITOR)[1],
                    approver=token_create(user=who.approver, role=Role.APPROVER)[1],
                    operator=token_create(user=who.operator, role=Role.OPERATOR)[1])

    # When the operators start `count` rollouts (a few at once, phases in random order) and
    # keep pausing, resuming and rolling them back, and region by region too, at random, while
    # one worker or another is SIGKILLed every few seconds
    started_at = time.monotonic()
    rollouts: list[int] = []
    in_flight: set[int] = set()
    launches = 0
    with WorkerKiller(workers, every=KILL_EVERY_SECONDS, rng=rng) as killer:
        while launches < count or in_flight:
            assert elapsed(started_at) < 120 + 20 * count, "the soak is not getting anywhere"
            _assert_no_running_rollout_without_a_due_step()
            assert not killer.errors, killer.errors
            if launches < count and len(in_flight) < IN_FLIGHT:
                launches += 1
                rollout_id, started = ops.launch(rng.choice(versions).id,
                                                 tuple(rng.sample(REGIONS, k=len(REGIONS))),
                                                 round(rng.uniform(*BAKE_MINUTES), 3))
                if rollout_id is not None:
                    rollouts.append(rollout_id)
                if rollout_id is not None and started:
                    in_flight.add(rollout_id)
            for rollout_id in sorted(in_flight):
                state, dice = ops.state(rollout_id), rng.random()
                if state in TERMINAL:
                    in_flight.discard(rollout_id)
                elif state == State.RUNNING and dice < 0.05:
                    ops.pause(rollout_id)
                elif state == State.PAUSED and dice < 0.5:
                    ops.resume(rollout_id)
                elif state in (State.RUNNING, State.PAUSED) and dice > 0.985:
                    ops.rollback(rollout_id)
            if rng.random() < 0.1:
                ops.region_rollback(rng.choice(REGIONS), rng.choice(versions).id)
            time.sleep(rng.uniform(0.1, 0.5))
    assert not killer.errors, killer.errors
    kills, soak_seconds = killer.kills, elapsed(started_at)

    # Then, once the last sweeps have run, every rollout ended: none running, paused or
    # waiting, no phase left baking
    wait_for(lambda: not Rollout.objects.exclude(state__in=TERMINAL).exists(),
             timeout=SETTLE_SECONDS, what="every rollout to end")
    rows = Rollout.objects.filter(id__in=rollouts)
    states = Counter(rows.values_list("state", flat=True))
    assert set(states) <= {State.COMPLETED, State.ROLLED_BACK, State.CANCELLED}, states
    assert states[State.CANCELLED] == ops.done["cancel"]  # only those refused a start
    assert not Phase.objects.filter(state__in=[PhaseState.BAKING, PhaseState.FAILED]).exists()
    assert not Rollout.objects.exclude(id__in=rollouts).exists()  # none left behind in draft
    _assert_phases_activated_at_most_once()
    _assert_phase_states_match_activations()
    # And the live network passes the checks
    errors = [f for f in composite_findings(composite=live_network_with()) if f.severity == "error"]
    assert not errors, errors[:20]
    # And the audit log has exactly one event per change, and one per operator action taken
    _assert_one_audit_event_per_change(ops)

    figures = {
        "seed": seed, "rollouts": len(rollouts), "states": dict(states),
        "seconds": round(soak_seconds, 1), "worker_kills": kills,
        "worker_starts": sum(w.starts for w in workers),
        "accepted": dict(ops.done), "refused": dict(ops.refused),
        "refusals": dict(ops.reasons),
        "activations": dict(Counter(Activation.objects.values_list("kind", flat=True))),
        "phases": dict(Counter(Phase.objects.values_list("state", flat=True))),
        "rollout_events": dict(Counter(RolloutEvent.objects.values_list("kind", flat=True))),
        "audit_events": AuditEvent.objects.count(),
        "http_calls": sum(ops.api.calls.values()),
    }
    print("\nsoak figures:", json.dumps(figures, sort_keys=True))  # the run's report


def _assert_no_running_rollout_without_a_due_step() -> None:
    """Every running rollout has its next step scheduled, and none is long overdue (which would
    mean the sweep lost it)."""
    overdue = timezone.now() - timedelta(seconds=OVERDUE_SECONDS)
    stuck = list(Rollout.objects.filter(state=State.RUNNING)
                 .filter(Q(next_step_at=None) | Q(next_step_at__lt=overdue))
                 .values_list("id", "next_step_at"))
    assert not stuck, stuck


def _assert_phases_activated_at_most_once() -> None:
    per_phase_region = Counter(Activation.objects.filter(kind=Activation.Kind.ACTIVATE)
                               .exclude(rollout=None).values_list("phase_id", "region"))
    assert max(per_phase_region.values(), default=1) == 1, per_phase_region.most_common(5)
    events = Counter((e.rollout_id, e.details["phase"]) for e in
                     RolloutEvent.objects.filter(kind="phase_activated"))
    assert max(events.values(), default=1) == 1, events.most_common(5)


def _assert_phase_states_match_activations() -> None:
    """A phase that went live has its regions' activations, one that never did has none."""
    activated = Counter(Activation.objects.filter(kind=Activation.Kind.ACTIVATE)
                        .exclude(phase=None).values_list("phase_id", flat=True))
    for phase in Phase.objects.select_related("rollout"):
        went_live = phase.state in (PhaseState.PASSED, PhaseState.ROLLED_BACK)
        assert activated[phase.id] == (len(phase.regions) if went_live else 0), \
            (phase.rollout_id, phase.index, phase.state, activated[phase.id])
        if phase.rollout.state == State.COMPLETED:
            assert phase.state == PhaseState.PASSED, (phase.rollout_id, phase.index)


def _assert_one_audit_event_per_change(ops: Operators) -> None:
    # every rollout event (state change, phase activation, gate result) has its audit row
    timeline = Counter((str(e.rollout_id), f"rollout.{e.kind}")
                       for e in RolloutEvent.objects.all())
    audited = Counter(AuditEvent.objects.filter(action__startswith="rollout.")
                      .values_list("object_id", "action"))
    assert audited == timeline, (audited - timeline, timeline - audited)
    # no rollout was created, approved, started, completed, rolled back or cancelled twice
    once = Counter(RolloutEvent.objects.filter(kind__in=[
        "created", "approved", "started", "completed", "rolled_back", "cancelled"])
        .values_list("rollout_id", "kind"))
    assert max(once.values(), default=1) == 1, once.most_common(5)
    # every phase activation has one phase_activated event; every rolled-back rollout one
    # rolled_back event, with one restoring activation per region it had made live
    went_live = set(Activation.objects.filter(kind=Activation.Kind.ACTIVATE)
                    .exclude(phase=None).values_list("rollout_id", "phase__index"))
    assert {(r, int(i)) for r, i in
            RolloutEvent.objects.filter(kind="phase_activated").values_list(
                "rollout_id", "details__phase")} == went_live
    for rollout in Rollout.objects.filter(state=State.ROLLED_BACK):
        assert rollout.events.filter(kind="rolled_back").count() == 1, rollout.id
        touched = Counter(rollout.activations.filter(kind=Activation.Kind.ACTIVATE)
                          .values_list("region", flat=True))
        restored = Counter(rollout.activations.filter(kind=Activation.Kind.ROLLBACK)
                           .values_list("region", flat=True))
        assert restored == touched, (rollout.id, restored, touched)
    # every region rollback is one activation and one audit row; refused ones left none
    region_rollbacks = Activation.objects.filter(kind=Activation.Kind.REGION_ROLLBACK).count()
    assert region_rollbacks == ops.done["region_rollback"] == \
        AuditEvent.objects.filter(action="region.rolled_back").count()
    # every operator request the API accepted is one event by that operator; refused, none
    by_people = Counter(RolloutEvent.objects.exclude(actor=None)
                        .values_list("kind", flat=True))
    assert by_people == Counter({
        kind: ops.done[action] for kind, action in (
            ("created", "create"), ("approved", "approve"), ("started", "start"),
            ("paused", "pause"), ("resumed", "resume"), ("rolled_back", "rollback"),
            ("cancelled", "cancel"))
        if ops.done[action]}), (by_people, ops.done)
