"""One-click rollback under contention: two operators press the button at the same moment."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from rollout.domain.lifecycle import PhaseState, State, TransitionRefused
from rollout.models import Activation, Rollout, RolloutEvent
from rollout.services.rollouts import rollout_rollback
from tests.integration.helpers import CeleryWorker, wait_for
from tests.integration.scenario import (
    activations_by_region,
    baseline_live,
    east_coast_versions,
    live_versions,
    people,
    phase_states,
    rollout_fresh,
    rollout_started,
)

pytestmark = pytest.mark.django_db(transaction=True)

CALL_SECONDS = 30.0


def _rollback_in_thread(rollout: Rollout, actor: User, backends: list[int],
                        outcomes: list[object]) -> threading.Thread:
    """A rollback on its own thread, hence on its own database connection (`backends` gets
    that connection's server process id)."""

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("select pg_backend_pid()")
                backends.append(cursor.fetchone()[0])
            reason = f"operator on thread {threading.get_ident()}"
            outcomes.append(rollout_rollback(rollout_id=rollout.id, actor=actor, reason=reason))
        except Exception as exc:  # the outcome under test, success or refusal
            outcomes.append(exc)
        finally:
            connection.close()  # this thread's connection: the test database is flushed later

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _waiting_for_a_lock(backends: list[int]) -> bool:
    """Both connections wait for a lock now (pg_locks is live; pg_stat_activity would be a
    snapshot frozen for the rest of this transaction)."""
    if len(backends) < 2:
        return False
    with connection.cursor() as cursor:
        cursor.execute("select count(distinct pid) from pg_locks where pid = any(%s) "
                       "and not granted", [backends])
        return cursor.fetchone()[0] == 2


def test_rollout_rollback__two_at_once__one_wins_and_one_set_of_rollbacks(
        worker: CeleryWorker) -> None:
    # Given a running rollout whose first two phases (NE, MA) are live on the new version
    baseline, new = east_coast_versions()
    baseline_live(baseline)
    who = people()
    rollout = rollout_started(who, new, bake_minutes=0.05)
    wait_for(lambda: rollout.phases.filter(index=1, state=PhaseState.BAKING).exists(),
             timeout=30, what="phase 2 to bake", worker=worker)

    # When two rollbacks are requested on two connections and both are in flight at once
    # (the test holds the rollout's row lock until both wait for it, then lets them race)
    backends: list[int] = []
    outcomes: list[object] = []
    with transaction.atomic():
        Rollout.objects.select_for_update().get(id=rollout.id)
        threads = [_rollback_in_thread(rollout, who.operator, backends, outcomes)
                   for _ in range(2)]
        wait_for(lambda: _waiting_for_a_lock(backends), timeout=CALL_SECONDS,
                 what="both rollbacks to wait for the rollout's row lock")
    for thread in threads:
        thread.join(timeout=CALL_SECONDS)
    assert not any(t.is_alive() for t in threads), "a rollback call did not return"

    # Then exactly one wins and the other is refused by the state machine
    wins = [o for o in outcomes if isinstance(o, Rollout)]
    refusals = [o for o in outcomes if isinstance(o, TransitionRefused)]
    assert (len(wins), len(refusals)) == (1, 1), outcomes
    assert refusals[0].state == State.ROLLED_BACK
    # And the state is that of one rollback: one restoring activation per touched region
    rollout = rollout_fresh(rollout.id)
    assert rollout.state == State.ROLLED_BACK and rollout.rollback_reason
    assert activations_by_region(rollout, Activation.Kind.ROLLBACK) == {"NE": 1, "MA": 1}
    restores = Activation.objects.filter(rollout=rollout, kind=Activation.Kind.ROLLBACK)
    assert {a.restores.version_id for a in restores if a.restores} == {baseline.id}
    assert phase_states(rollout) == [PhaseState.ROLLED_BACK, PhaseState.ROLLED_BACK,
                                     PhaseState.SKIPPED]
    assert RolloutEvent.objects.filter(rollout=rollout, kind="rolled_back").count() == 1
    assert set(live_versions().values()) == {baseline.id}

    # And the worker, still sweeping every second, leaves the rolled-back rollout alone
    time.sleep(3)
    assert activations_by_region(rollout, Activation.Kind.ACTIVATE) == {"NE": 1, "MA": 1}
    assert Activation.objects.filter(rollout=rollout).count() == 4
    assert rollout_fresh(rollout.id).state == State.ROLLED_BACK
