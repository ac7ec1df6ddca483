"""The live state's check findings stored beside its routes (rollout/services/live_findings.py):
checked once by the first process, read by every other, equal to checking again."""

from __future__ import annotations

import pytest
from django.db import transaction

from rollout.models import Activation, LiveStateRecord
from rollout.services import live as live_service
from rollout.services.activations import region_rollback
from rollout.services.live import live_checked, live_state
from rollout.services.live_network import LiveBasis
from rollout.services.plans import PhasePlan, plan_check
from tests.factories import version_factory
from tests.rollout_factories import People, make_live, original_version, rerouted_version

pytestmark = pytest.mark.django_db

#: regions.yaml edit: a one-hour SLA, so every route of the live network is a W170 warning.
ONE_HOUR_SLA = ("sla_hours: 48", "sla_hours: 1")


def as_a_new_process() -> None:
    """Forget what this process knows of the live state and its checks."""
    live_service.live_state_forget()
    live_service._CHECKED.clear()


def test_live_checked__first_check__findings_stored_with_the_live_state(who: People) -> None:
    # Given a live network with findings (every route over a one-hour SLA)
    make_live(version_factory("one-hour SLA", regions=ONE_HOUR_SLA))
    as_a_new_process()

    # When a process checks the live state
    checked = live_checked(basis=LiveBasis.read())

    # Then its findings are stored with the live state's record
    assert checked is not None and checked.how == "full"
    assert any(f.code == "W170" for f in checked.findings())
    record = LiveStateRecord.objects.get(at_activation=live_state().at_activation)
    assert record.findings is not None


def test_live_checked__another_process__reads_the_stored_findings_equal_to_a_check(
        who: People) -> None:
    # Given the live state checked (and stored) by one process
    make_live(version_factory("one-hour SLA", regions=ONE_HOUR_SLA))
    as_a_new_process()
    first = live_checked(basis=LiveBasis.read())
    assert first is not None

    # When another process asks for the live state's findings
    as_a_new_process()
    again = live_checked(basis=LiveBasis.read())

    # Then they are read, not found again, and are the same findings
    assert again is not None and again.how == "stored"
    assert again.findings() == first.findings()
    assert again.by_scope == first.by_scope


def test_plan_check__from_stored_findings__same_as_from_a_fresh_check(who: People) -> None:
    # Given a live network with findings and a plan changing two of its regions
    make_live(version_factory("one-hour SLA", regions=ONE_HOUR_SLA))
    phases = [PhasePlan(regions=["NE"]), PhasePlan(regions=["MA", "SE"])]
    version = rerouted_version()
    as_a_new_process()
    fresh = plan_check(version=version, phases=phases)

    # When a new process checks the same plan from the stored findings
    as_a_new_process()
    stored = plan_check(version=version, phases=phases)

    # Then the findings are exactly the same
    assert [f.as_dict() for f in stored] == [f.as_dict() for f in fresh]
    assert any("before the rollout" in f.message and f.code == "W170" for f in stored)


def test_live_checked__new_activation__its_state_checked_again_not_the_old_findings(
        who: People) -> None:
    # Given the stored findings of a live network over a one-hour SLA
    make_live(version_factory("one-hour SLA", regions=ONE_HOUR_SLA))
    as_a_new_process()
    assert live_checked(basis=LiveBasis.read()) is not None

    # When every region goes back to the original (48-hour SLA)
    make_live(original_version())
    as_a_new_process()
    checked = live_checked(basis=LiveBasis.read())

    # Then the new state's findings are its own
    assert checked is not None and checked.how == "full"
    assert not any(f.code == "W170" for f in checked.findings())


def test_region_rollback__writer_checked_the_change__new_state_stored_with_those_findings(
        who: People) -> None:
    # Given a live network over a one-hour SLA, its findings known
    sla = version_factory("one-hour SLA", regions=ONE_HOUR_SLA)
    make_live(sla)
    as_a_new_process()
    assert live_checked(basis=LiveBasis.read()) is not None

    # When NE is put on the rerouted version (checked, written, published by the writer)
    region_rollback(region="NE", version=rerouted_version(), reason="test", actor=who.operator)

    # Then the new live state's record already holds findings, equal to a fresh check
    record = LiveStateRecord.objects.get(at_activation=live_state().at_activation)
    assert record.findings is not None
    as_a_new_process()
    stored = live_checked(basis=LiveBasis.read())
    assert stored is not None and stored.how == "stored"
    fresh = live_service.check_composite(stored.state)
    assert stored.findings() == fresh.findings()


def test_publish__something_else_written_than_checked__findings_not_stored(
        who: People) -> None:
    # Given the original live everywhere, and a check of NE on the rerouted version
    make_live(original_version())
    rerouted = rerouted_version()
    live_service.live_network_errors(changes={"NE": rerouted})

    # When MA is written instead, without its own check, and the state published
    Activation.objects.create(region="MA", version=rerouted, kind=Activation.Kind.ACTIVATE,
                              reason="test")
    with transaction.atomic():
        state = live_service.live_state_publish()

    # Then the new state has no stored findings (the first check will find them)
    assert LiveStateRecord.objects.get(at_activation=state.at_activation).findings is None
