"""Rollout plans (rollout/services/plans.py): the digest an approval vouches for, the plan's
own rules, reading a stored plan back, the plan check, and its confirmation under the lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rollout.domain.findings import Finding
from rollout.models import Phase
from rollout.services.plans import (
    GatePlan,
    PhasePlan,
    PlanRejected,
    RolloutNotFound,
    RolloutRefused,
    plan_check,
    plan_check_confirm,
    plan_check_unlocked,
    plan_digest,
    plan_read,
    plan_validate,
)
from tests.factories import version_factory
from tests.rollout_factories import (
    People,
    make_live,
    moved_282_version,
    original_version,
    phases_of,
    rerouted_version,
    rollout_factory,
)

AT = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def digest(phases: list[PhasePlan], gates: list[GatePlan] | None = None,
           on_gate_failure: str = "rollback") -> str:
    return plan_digest(version_id="v1", phases=phases, gates=gates or [],
                       on_gate_failure=on_gate_failure)


# --- the digest (no database) ----------------------------------------------------------------


def test_plan_digest__same_plan_written_differently__same_digest() -> None:
    # 30 and 30.0 minutes, and one instant given at +02:00 and in UTC, are the same plan
    as_written = [PhasePlan(["NE"], bake_minutes=30,
                            start_after=AT.astimezone(timezone(timedelta(hours=2))))]
    as_stored = [PhasePlan(["NE"], bake_minutes=30.0, start_after=AT)]

    assert digest(as_written, [GatePlan("trucks", 1)]) == digest(as_stored,
                                                                 [GatePlan("trucks", 1.0)])


def test_plan_digest__any_vouched_for_part_changes__another_digest() -> None:
    plan = phases_of(["NE"], ["SE"])
    base = digest(plan, [GatePlan("trucks", 1.0)])

    changed = {
        digest(phases_of(["SE"], ["NE"]), [GatePlan("trucks", 1.0)]),  # phase order
        digest(phases_of(["NE"], ["SE"], bake_minutes=31), [GatePlan("trucks", 1.0)]),
        digest(plan, [GatePlan("trucks", 2.0)]),
        digest(plan, [GatePlan("trucks", 1.0)], on_gate_failure="pause"),
        plan_digest(version_id="v2", phases=plan, gates=[GatePlan("trucks", 1.0)],
                    on_gate_failure="rollback"),
    }
    assert base not in changed and len(changed) == 5


# --- the plan's own rules ----------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_validate__sound_plan__accepted() -> None:
    plan_validate(version=original_version(), phases=phases_of(["NE", "MA"], ["SE"]),
                  gates=[GatePlan("trucks", 5.0)], on_gate_failure="pause")


@pytest.mark.django_db
def test_plan_validate__region_the_version_lacks__plan_rejected_naming_the_known_ones() -> None:
    with pytest.raises(PlanRejected, match=r"phase 2: version \w+ has no region 'XX' "
                                           r"\(it has MA, NE, SE\)"):
        plan_validate(version=original_version(), phases=phases_of(["NE"], ["XX"]), gates=[],
                      on_gate_failure="rollback")


# --- a stored plan, the plan check -----------------------------------------------------------


@pytest.mark.django_db
def test_plan_read__stored_rollout__its_phases_and_gates_hash_to_its_digest(who: People) -> None:
    # Given a rollout stored from a plan with a start time and a gate
    phases = [PhasePlan(["SE"], bake_minutes=15, start_after=AT), PhasePlan(["NE", "MA"])]
    rollout = rollout_factory(original_version(), who=who, phases=phases,
                              gates=[GatePlan("trucks", 3.0)], on_gate_failure="pause")

    # When its plan is read back from the rows
    read_phases, read_gates = plan_read(rollout=rollout)

    # Then it is the plan as given, and hashes to the digest stored at creation
    assert read_phases == phases and read_gates == [GatePlan("trucks", 3.0)]
    assert plan_digest(version_id=rollout.version_id, phases=read_phases, gates=read_gates,
                       on_gate_failure=rollout.on_gate_failure) == rollout.plan_digest


@pytest.mark.django_db
def test_plan_check__version_with_errors__only_e101() -> None:
    broken = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    assert [f.code for f in plan_check(version=broken, phases=phases_of(["NE"]))] == ["E101"]


@pytest.mark.django_db
def test_plan_check__giver_before_taker__the_gap_labelled_with_its_phase() -> None:
    # Given the original version live everywhere, and 282 moving from SE to MA
    make_live(original_version())

    # When SE goes first, MA second
    findings = plan_check(version=moved_282_version(), phases=phases_of(["SE"], ["MA"]))

    # Then the gap after phase 1 is an error; after phase 2 it is closed
    errors = [f.message for f in findings if f.severity == "error"]
    assert errors == ["after phase 1: zone 282 was live but no live region claims it now "
                      "(coverage gap)"]


# --- the check done without the lock, confirmed under it -------------------------------------


@pytest.mark.django_db
def test_plan_check_unlocked__no_such_rollout__not_found() -> None:
    with pytest.raises(RolloutNotFound, match="no rollout 999999"):
        plan_check_unlocked(rollout_id=999_999)


@pytest.mark.django_db
def test_plan_check_confirm__nothing_moved__confirmed(who: People) -> None:
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who)

    checked = plan_check_unlocked(rollout_id=rollout.id)

    assert checked.digest == rollout.plan_digest and checked.errors == []
    plan_check_confirm(rollout=rollout, checked=checked)  # no refusal


@pytest.mark.django_db
def test_plan_check_confirm__plan_rows_changed_since_stored__refused(who: People) -> None:
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who)
    checked = plan_check_unlocked(rollout_id=rollout.id)
    Phase.objects.filter(rollout=rollout).update(bake_minutes=1)  # behind the services' back

    with pytest.raises(RolloutRefused, match="the plan changed since it was checked"):
        plan_check_confirm(rollout=rollout, checked=checked)


@pytest.mark.django_db
def test_plan_check_confirm__checked_another_plan__refused(who: People) -> None:
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who)
    checked = replace(plan_check_unlocked(rollout_id=rollout.id), digest="0" * 64)

    with pytest.raises(RolloutRefused, match="the plan changed while it was being checked"):
        plan_check_confirm(rollout=rollout, checked=checked)


@pytest.mark.django_db
def test_plan_check_confirm__activation_since_the_check__refused(who: People) -> None:
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who)
    checked = plan_check_unlocked(rollout_id=rollout.id)
    make_live(original_version(), ["SE"])  # the live network moved on meanwhile

    with pytest.raises(RolloutRefused, match="the live network changed while the plan"):
        plan_check_confirm(rollout=rollout, checked=checked)


@pytest.mark.django_db
def test_plan_check_confirm__check_found_errors__plan_rejected_with_them(who: People) -> None:
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who)
    error = Finding(code="E120", message="after phase 1: a gap")
    checked = replace(plan_check_unlocked(rollout_id=rollout.id), errors=[error])

    with pytest.raises(PlanRejected, match="the plan check failed") as rejected:
        plan_check_confirm(rollout=rollout, checked=checked)
    assert rejected.value.findings == [error]


@pytest.mark.django_db
@pytest.mark.parametrize(("phases", "gates", "message"), [
    (101, 0, "at most 100 phases, got 101"),
    (1, 51, "at most 50 gates, got 51"),
], ids=["phases", "gates"])
def test_plan_validate__more_phases_or_gates_than_the_bound__rejected(
        phases: int, gates: int, message: str) -> None:
    version = original_version()

    with pytest.raises(PlanRejected) as rejected:
        plan_validate(version=version,
                      phases=[PhasePlan(regions=["NE"], bake_minutes=1)] * phases,
                      gates=[GatePlan(kpi="trucks", max_regression_pct=1)] * gates,
                      on_gate_failure="rollback")

    assert message in str(rejected.value)
