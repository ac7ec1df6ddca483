"""`rollout`, `region_rollback`, `active` and `route` commands (DESIGN section 9): outputs and
exit statuses (0 success, 1 refused by the state machine or a check, 2 unusable arguments)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rollout.models import Activation, Rollout
from rollout.services.engine import rollout_advance
from rollout.services.roles import Role, role_grant
from tests.rollout_factories import (
    Clock,
    People,
    live_versions,
    make_live,
    moved_282_version,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    """(stdout, stderr) of a command that succeeds."""
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_json(*args: str) -> Any:
    out, _ = run(*args, "--format", "json")
    return json.loads(out)


def exit_status(*args: str) -> tuple[int, str]:
    """(exit status, stderr) of a command that fails."""
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(*args, stdout=StringIO(), stderr=err)
    return failed.value.returncode, f"{failed.value} {err.getvalue()}"


# --- rollout create/approve/start/status/rollback --------------------------------------------


def test_rollout_create__text__prints_the_id_alone_on_the_last_line(who: People) -> None:
    version = original_version()

    out, _ = run("rollout", "create", version.id, "--phase", "NE,MA", "--phase", "SE",
                 "--bake-minutes", "15", "--gate", "in_region_pct:2", "--on-gate-failure",
                 "pause", "--as", "edna")

    rollout = Rollout.objects.get()
    assert out.strip().splitlines()[-1] == str(rollout.id)
    assert rollout.state == "draft" and rollout.on_gate_failure == "pause"
    assert [(p.regions, p.bake_minutes) for p in rollout.phases.all()] == [
        (["NE", "MA"], 15.0), (["SE"], 15.0)]
    assert list(rollout.gates.values_list("kpi", "max_regression_pct")) == [
        ("in_region_pct", 2.0)]


def test_rollout_commands__create_approve_start_status_rollback__json_all_the_way(
        who: People) -> None:
    # Given the original live, and a version prefix as a CI script would pass it
    original, rerouted = original_version(), rerouted_version()
    make_live(original)

    # When a rollout is created, approved, started, advanced once and its status read
    created = run_json("rollout", "create", rerouted.id[:8], "--phase", "NE,MA", "--phase", "SE",
                       "--as", "edna")
    rollout_id = created["id"]
    assert run_json("rollout", "approve", str(rollout_id), "--as", "abe")["state"] == "approved"
    assert run_json("rollout", "start", str(rollout_id), "--as", "otto")["state"] == "running"
    rollout_advance(rollout_id=rollout_id, now=Clock().now)
    status = run_json("rollout", "status", str(rollout_id), "--as", "vera")

    # Then the status has the shape of DESIGN section 9
    assert {"id", "state", "version", "phases", "events"} <= set(status)
    assert (status["id"], status["state"], status["version"]) == (rollout_id, "running",
                                                                  rerouted.id)
    assert [{k: p[k] for k in ("regions", "state")} for p in status["phases"]] == [
        {"regions": ["NE", "MA"], "state": "baking"}, {"regions": ["SE"], "state": "pending"}]
    for phase in status["phases"]:
        assert {"regions", "state", "started_at", "finished_at"} <= set(phase)
    assert status["phases"][0]["started_at"] is not None
    assert status["phases"][1]["started_at"] is None
    assert [e["kind"] for e in status["events"]] == ["created", "approved", "started",
                                                     "phase_activated"]

    # When it is rolled back with a reason
    rolled = run_json("rollout", "rollback", str(rollout_id), "--reason", "slow", "--as", "otto")

    # Then every region is on the original again
    assert rolled["state"] == "rolled_back"
    assert rolled["events"][-1]["kind"] == "rolled_back"
    assert live_versions() == {"NE": original.id, "MA": original.id, "SE": original.id}


@pytest.mark.parametrize(("action", "state", "as_user"), [
    ("approve", "approved", "abe"),  # already approved
    ("start", "draft", "otto"),  # not approved yet
    ("resume", "draft", "otto"),
    ("cancel", "running", "otto"),
    ("pause", "approved", "otto"),
])
def test_rollout_transition__refused_by_the_state_machine__exit_1(
        who: People, action: str, state: str, as_user: str) -> None:
    rollout = rollout_factory(original_version(), who=who, state=state)

    status, message = exit_status("rollout", action, str(rollout.id), "--as", as_user)

    assert status == 1
    assert f"cannot {action} a rollout that is {state}" in message


def test_rollout_rollback__draft__exit_1(who: People) -> None:
    rollout = rollout_factory(original_version(), who=who)

    status, message = exit_status("rollout", "rollback", str(rollout.id), "--reason", "x",
                                  "--as", "otto")

    assert status == 1 and "cannot rollback a rollout that is draft" in message


def test_rollout_approve__creator_with_the_approver_role__exit_1_four_eyes(who: People) -> None:
    role_grant(user=who.editor, role=Role.APPROVER)
    rollout = rollout_factory(original_version(), who=who)

    status, message = exit_status("rollout", "approve", str(rollout.id), "--as", "edna")

    assert status == 1 and "four eyes" in message


def test_rollout_start__without_the_operator_role__exit_1(who: People) -> None:
    rollout = rollout_factory(original_version(), who=who, state="approved")

    status, message = exit_status("rollout", "start", str(rollout.id), "--as", "abe")

    assert status == 1 and "needs the operator role" in message


def test_rollout_create__plan_check_fails__exit_1_with_the_findings(who: People) -> None:
    make_live(original_version())

    status, message = exit_status("rollout", "create", moved_282_version().id, "--phase", "SE",
                                  "--phase", "MA", "--as", "edna")

    assert status == 1
    assert "E120" in message and "after phase 1: zone 282" in message
    assert not Rollout.objects.exists()


@pytest.mark.parametrize("args", [
    ("rollout", "status", "424242", "--as", "vera"),
    ("rollout", "approve", "424242", "--as", "abe"),
    ("rollout", "rollback", "424242", "--reason", "x", "--as", "otto"),
], ids=["status", "approve", "rollback"])
def test_rollout__unknown_rollout_id__exit_2(who: People, args: tuple[str, ...]) -> None:
    status, message = exit_status(*args)

    assert status == 2 and "no rollout 424242" in message


@pytest.mark.parametrize("action", ["approve", "status"])
def test_rollout__unknown_user__exit_2(who: People, action: str) -> None:
    rollout = rollout_factory(original_version(), who=who)

    status, message = exit_status("rollout", action, str(rollout.id), "--as", "mallory")

    assert status == 2 and "no user 'mallory'" in message
    rollout.refresh_from_db()
    assert rollout.state == "draft"


def test_rollout_create__unknown_version__exit_2(who: People) -> None:
    status, message = exit_status("rollout", "create", "deadbeef0000", "--phase", "NE",
                                  "--as", "edna")

    assert status == 2 and "no version" in message


def test_rollout_create__malformed_gate__exit_2(who: People) -> None:
    status, _ = exit_status("rollout", "create", original_version().id, "--phase", "NE",
                            "--gate", "trucks:lots", "--as", "edna")

    assert status == 2


def test_rollout_create__gate_query__stored_with_its_gate(
        who: People, settings: Any) -> None:
    settings.RRM_PROMETHEUS_URL = "http://127.0.0.1:9090"
    query = 'avg(rrm_in_region_pct{region="$region"})'

    run("rollout", "create", original_version().id, "--phase", "NE", "--gate",
        "in_region_pct:2", "--gate", "trucks:5", "--gate-query", f"in_region_pct={query}",
        "--as", "edna")

    assert list(Rollout.objects.get().gates.order_by("kpi").values_list("kpi", "query")) == [
        ("in_region_pct", query), ("trucks", "")]


@pytest.mark.parametrize(("args", "expected", "message"), [
    (("--gate-query", "in_region_pct"), 2, "expected KPI=PROMQL"),
    (("--gate-query", "trucks=sum(x{region=\"$region\"})"), 2, "no --gate on that KPI"),
    # checked by the service, as for the API and the planner (a rejected plan: exit 1)
    (("--gate-query", "in_region_pct=sum(x)"), 1, "does not name $region"),
], ids=["no-equals", "no-such-gate", "no-region"])
def test_rollout_create__bad_gate_query__refused_nothing_stored(
        who: People, settings: Any, args: tuple[str, ...], expected: int, message: str) -> None:
    settings.RRM_PROMETHEUS_URL = "http://127.0.0.1:9090"

    status, said = exit_status("rollout", "create", original_version().id, "--phase", "NE",
                               "--gate", "in_region_pct:2", *args, "--as", "edna")

    assert status == expected and message in said
    assert not Rollout.objects.exists()


@pytest.mark.parametrize(("args", "message"), [
    (("--bake-minutes", "1e12"), "bake time must be 0 to 43,200 minutes (30 days), got 1e+12"),
    (("--bake-minutes", "nan"), "bake time must be 0 to 43,200 minutes"),
    (("--gate", "trucks:inf"), "max regression must be 0 to 1,000,000%, got inf"),
    (("--gate", "trucks:-1"), "max regression must be 0 to 1,000,000%, got -1"),
], ids=["bake-huge", "bake-nan", "gate-inf", "gate-negative"])
def test_rollout_create__plan_out_of_bounds__exit_1_nothing_stored(
        who: People, args: tuple[str, ...], message: str) -> None:
    # The command has no schema in front of the service: the service's bounds hold all the same
    # (a bake of 1e12 minutes used to be stored, then fail every step at activation).
    status, said = exit_status("rollout", "create", original_version().id, "--phase", "NE",
                               *args, "--as", "edna")

    assert status == 1 and message in said
    assert not Rollout.objects.exists()


# --- region_rollback, active, route ---------------------------------------------------------


def test_region_rollback__to_an_earlier_version__region_back_on_it(who: People) -> None:
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    make_live(rerouted, ["NE"])

    answer = run_json("region_rollback", "NE", "--version", original.id, "--reason", "slow",
                      "--as", "otto")

    activation = Activation.objects.get(kind=Activation.Kind.REGION_ROLLBACK)
    assert answer == {"region": "NE", "version": original.id, "activation": activation.id}
    assert live_versions()["NE"] == original.id
    assert activation.reason == "slow"


def test_region_rollback__version_none__region_not_live(who: People) -> None:
    make_live(original_version())

    out, _ = run("region_rollback", "SE", "--version", "none", "--reason", "off", "--as", "otto")

    assert "nothing (not live)" in out
    assert live_versions()["SE"] is None


def test_region_rollback__would_leave_a_gap__exit_1_with_the_finding(who: People) -> None:
    original = original_version()
    make_live(original)
    make_live(moved_282_version(), ["MA", "SE"])

    status, message = exit_status("region_rollback", "MA", "--version", original.id,
                                  "--reason", "undo", "--as", "otto")

    assert status == 1 and "E120" in message


def test_region_rollback__not_an_operator__exit_1(who: People) -> None:
    original = original_version()
    make_live(original)

    status, message = exit_status("region_rollback", "NE", "--version", original.id,
                                  "--reason", "x", "--as", "abe")

    assert status == 1 and "needs the operator role" in message


@pytest.mark.parametrize(("version", "user"), [("deadbeef0000", "otto"), (None, "mallory")],
                         ids=["unknown version", "unknown user"])
def test_region_rollback__unusable_arguments__exit_2(who: People, version: str | None,
                                                    user: str) -> None:
    original = original_version()
    make_live(original)

    status, _ = exit_status("region_rollback", "NE", "--version", version or original.id,
                            "--reason", "x", "--as", user)

    assert status == 2


def test_active__regions_on_two_versions__json_per_region_version(who: People) -> None:
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    [ne] = make_live(rerouted, ["NE"])

    answer = run_json("active")

    assert {code: row["version"] for code, row in answer["regions"].items()} == {
        "NE": rerouted.id, "MA": original.id, "SE": original.id}
    assert answer["regions"]["NE"]["activation"] == ne.id
    assert answer["regions"]["NE"]["zones"] == 6
    assert answer["gaps"] == []
    text, _ = run("active")
    assert rerouted.id in text and original.id in text


def test_active__nothing_live__says_so() -> None:
    out, _ = run("active")

    assert "nothing is live yet" in out


def test_route__live_zone__json_exactly_the_api_answer(who: People) -> None:
    rerouted = rerouted_version()
    make_live(original_version())
    make_live(rerouted, ["NE"])

    answer = run_json("route", "070")

    assert answer == {"zone": "070", "region": "NE", "version": rerouted.id,
                      "fcs": ["FC-BOS7", "FC-EWR4"], "path": ["FC-BOS7", "SC-EWR2", "DS-EWR9"]}
    text, _ = run("route", "070")
    assert "FC-BOS7 -> SC-EWR2 -> DS-EWR9" in text


def test_route__zone_not_live__exit_1() -> None:
    make_live(original_version(), ["NE"])

    status, message = exit_status("route", "303")

    assert status == 1 and "not live" in message
