"""One lock for every write to the live state: two region rollbacks at once, each fine alone,
together leaving a coverage gap. Exactly one may pass its check; the other sees its result."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from rollout.models import Activation, Version
from rollout.services.activations import ActivationRefused, activation_create, region_rollback
from rollout.services.live import composite_findings, live_state, live_state_forget
from rollout.services.roles import Role, role_grant
from tests.factories import user_factory
from tests.rollout_factories import REGIONS, moved_282_version, original_version

pytestmark = pytest.mark.django_db(transaction=True)


def _rollback_in_thread(region: str, version: Version, actor: User, start: threading.Barrier,
                        outcomes: dict[str, object]) -> threading.Thread:
    def run() -> None:
        try:
            start.wait(timeout=10)
            outcomes[region] = region_rollback(region=region, version=version,
                                               reason=f"{region} back", actor=actor)
        except Exception as exc:  # the outcome under test: success or refusal
            outcomes[region] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_region_rollbacks__two_at_once_that_together_leave_a_gap__exactly_one_succeeds() -> None:
    # Given SE live on the original (claiming zone 282) and MA on the version that moves 282
    # to MA: both claim 282, so either may give it up, but not both
    original, moved = original_version(), moved_282_version()
    with transaction.atomic():
        activation_create(regions=list(REGIONS), version=original, kind=Activation.Kind.ACTIVATE,
                          actor=None, reason="setup")
        activation_create(regions=["MA"], version=moved, kind=Activation.Kind.ACTIVATE, actor=None,
                          reason="setup")
    operator = user_factory("otto")
    role_grant(user=operator, role=Role.OPERATOR)

    # When MA goes back to the original and SE to the moved version at the same moment
    start, outcomes = threading.Barrier(2), dict[str, object]()
    threads = [_rollback_in_thread("MA", original, operator, start, outcomes),
               _rollback_in_thread("SE", moved, operator, start, outcomes)]
    for thread in threads:
        thread.join(timeout=60)

    # Then exactly one succeeded, the other was refused with the coverage gap it would leave
    done = [o for o in outcomes.values() if isinstance(o, Activation)]
    refused = [o for o in outcomes.values() if isinstance(o, ActivationRefused)]
    assert len(done) == 1 and len(refused) == 1, outcomes
    assert any(f.code == "E120" and "282" in f.message for f in refused[0].findings)
    # and the live network passes the checks
    live_state_forget()
    errors = [f for f in composite_findings(composite=live_state().composite)
              if f.severity == "error"]
    assert errors == []
    assert Activation.objects.filter(kind=Activation.Kind.REGION_ROLLBACK).count() == 1
