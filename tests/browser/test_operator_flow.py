"""The operator's day in a real browser (issue 7): upload a version with an error and follow its
finding to the line, plan a two-phase rollout, approve it as a second person, start it, watch
the map change, roll back and see the map restored.

The demo's three versions keep every zone in the same region (they differ in routing and
stock), so rolling one of them out leaves the map's colours as they are. The editor therefore
rolls out all-eight with zones 150-152 moved from MA to NE (the edit page's "Move zones" form):
that is a change the map must show, and a rollback must undo.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import Page, expect

from rollout.demo import demo_bundles
from rollout.models import Rollout, Version
from rollout.services.engine import rollout_advance
from rollout.services.roles import Role, role_grant
from tests.browser.conftest import WorkerQueue, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
BAD_STATION = "DS-NOWHERE9"
#: zone 150 is MA's in every demo version; the rolled-out version moves 150-152 to NE.
MOVED_ZONE = "150"


def person(username: str, *roles: Role) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    for role in roles:
        role_grant(user=user, role=role)
    return user


def demo_version(name: str) -> Version:
    demo = next(d for d in demo_bundles() if d.name == name)
    return Version.objects.get(message=demo.message)


def bundle_with_unknown_station(folder: Path) -> list[Path]:
    """The all-eight bundle on disk, with zone 021 served by a station that does not exist."""
    files = dict(next(d for d in demo_bundles() if d.name == "all-eight").files)
    network = files["network.yaml"].decode()
    good = '{id: "021", lat: 42.334, lon: -71.067, station: DS-BOS1'
    assert good in network
    files["network.yaml"] = network.replace(good, good.replace("DS-BOS1", BAD_STATION)).encode()
    paths = []
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
        paths.append(folder / name)
    return paths


def zone_dot(page: Page, zone: str) -> Any:
    return page.locator(f'#livemap circle[data-zone="{zone}"]')


def test_operator_flow__upload_plan_approve_start_rollback__map_changes_and_is_restored(
        page_for: Any, anonymous_page: Any, worker_queue: WorkerQueue, tmp_path: Path) -> None:
    # Given the demo (national live in all eight regions) and three people: four eyes are real
    call_command("demo", stdout=io.StringIO())
    person("edna", Role.EDITOR, Role.APPROVER)
    person("abe", Role.APPROVER)
    person("otto", Role.OPERATOR)
    national, all_eight = demo_version("national"), demo_version("all-eight")

    # a. the editor logs in and lands on the dashboard
    anonymous_page.goto("/rollouts/")
    expect(anonymous_page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(anonymous_page, "login")
    edna = page_for("edna", PASSWORD)
    expect(edna.get_by_role("heading", name="Live network")).to_be_visible()
    screenshot(edna, "dashboard")

    # b. uploads a version with an unknown station, follows the finding's link to its line
    edna.goto("/versions/new/")
    edna.get_by_label("Bundle files").set_input_files(bundle_with_unknown_station(tmp_path))
    upload = edna.locator("form", has=edna.get_by_label("Bundle files"))  # not "from Git"
    upload.get_by_label("Message").fill("Zone 021 from a station that does not exist")
    edna.get_by_role("button", name="Store the version").click()
    expect(edna.get_by_role("heading", name=re.compile(r"^Version .* invalid$"))).to_be_visible()
    finding = edna.get_by_role("row").filter(has_text=BAD_STATION)
    expect(finding).to_contain_text("E110")
    finding.get_by_role("link", name=re.compile(r"^network\.yaml:\d+:\d+$")).click()
    edna.wait_for_url(re.compile(r"#network\.yaml-L\d+$"))
    fragment = edna.url.rsplit("#", 1)[1]
    line = edna.locator(f'[id="{fragment}"]')
    expect(line).to_contain_text(f"station: {BAD_STATION}")
    expect(line).to_have_class(re.compile(r"\bfinding-line\b"))
    expect(line).to_be_in_viewport()
    screenshot(edna, "version-finding", full_page=False)

    edna.goto("/versions/")
    expect(edna.get_by_role("heading", name="Versions")).to_be_visible()
    screenshot(edna, "versions-list")
    edna.goto(f"/versions/{national.id}/diff/{all_eight.id}/")
    screenshot(edna, "diff-national-all-eight", full_page=False)
    edna.goto(f"/simulate/?version={all_eight.id}&baseline={national.id}")
    screenshot(edna, "simulation")

    # ... and derives the version to roll out: all-eight with zones 150-152 moved from MA to NE
    edna.goto(f"/versions/{all_eight.id}/edit/regions.yaml/")
    move = edna.get_by_role("form", name="Move zones to a region")
    move.get_by_label("Zones").fill("150-152")
    move.get_by_label("To region").select_option("NE")
    move.get_by_label("Message").fill("All eight, with zones 150-152 served by the Northeast")
    move.get_by_role("button", name="Move and store a new version").click()
    expect(edna.get_by_role("heading", name=re.compile(r"^Version .* valid$"))).to_be_visible()
    moved = Version.objects.get(message__startswith="All eight, with zones 150-152")
    assert moved.valid and moved.parent_id == all_eight.id

    # c. plans NE + MA, then SE + GL, with the keyboard-accessible Phase menus; checks; creates
    edna.goto(f"/rollouts/new/?version={moved.id}")
    phases = edna.locator("#phases > .phase-box")
    while phases.count() < 2:
        edna.get_by_role("button", name="+ Add phase").click()
    while (count := phases.count()) > 2:
        edna.get_by_role("button", name=f"Remove phase {count}").click()
        expect(phases).to_have_count(count - 1)
    for code, phase in (("NE", "1"), ("MA", "1"), ("SE", "2"), ("GL", "2")):
        edna.get_by_label(f"Phase for region {code}").select_option(phase)
    for number, codes in ((1, "NE, MA"), (2, "SE, GL")):
        group = edna.get_by_role("group", name=f"Phase {number}")
        group.get_by_label("Bake (minutes)").fill("1")
        # the menus rewrote the phase's "Regions" field, which is what the server reads
        expect(group.get_by_label("Regions", exact=True)).to_have_value(codes)
    edna.get_by_role("button", name="Check plan").click()
    expect(edna.get_by_role("status").filter(has_text="The plan check passed")).to_be_visible()
    screenshot(edna, "planner-check-passed")
    edna.get_by_role("button", name="Create rollout").click()
    edna.wait_for_url(re.compile(r"/rollouts/\d+/$"))
    rollout_id = int(edna.url.rstrip("/").rsplit("/", 1)[1])
    state = edna.locator("h1 [data-live=state]")
    expect(state).to_have_text("draft")
    # four eyes: the creator holds the approver role, yet may not approve her own rollout
    expect(edna.get_by_role("button", name="Approve")).to_be_disabled()
    expect(edna.get_by_text("Four eyes: you created this rollout")).to_be_visible()

    # d. another approver approves; the operator starts it
    abe = page_for("abe", PASSWORD)
    abe.goto(f"/rollouts/{rollout_id}/")
    abe.get_by_role("button", name="Approve").click()
    expect(abe.locator("h1 [data-live=state]")).to_have_text("approved")
    expect(state).to_have_text("approved")  # the creator's page follows by polling

    otto = page_for("otto", PASSWORD)
    otto.on("dialog", lambda dialog: dialog.accept())  # "Start the rollout now?"
    dashboard = page_for("otto", PASSWORD)
    expect(zone_dot(dashboard, MOVED_ZONE)).to_have_attribute("data-region", "MA")
    ma_colour = zone_dot(dashboard, MOVED_ZONE).get_attribute("fill")
    ne_colour = zone_dot(dashboard, "021").get_attribute("fill")
    assert ma_colour != ne_colour

    otto.goto(f"/rollouts/{rollout_id}/")
    otto.get_by_role("button", name="Start").click()
    otto_state = otto.locator("h1 [data-live=state]")
    expect(otto_state).to_have_text("running")
    started = otto.locator("#action-message").get_by_text(f"Rollout {rollout_id} started.")
    expect(started).to_be_visible()

    # e. the worker's step, done here: phase 1 activates; both open pages follow, unreloaded
    assert rollout_id in worker_queue.rollout_ids()
    rollout_advance(rollout_id=rollout_id)
    phase_1 = otto.locator(".timeline > li").first
    expect(phase_1.get_by_role("heading", name=re.compile(r"^Phase 1"))).to_contain_text(
        "baking")
    expect(started).to_have_count(0)  # the action's message fades once phase 1 activates
    expect(zone_dot(dashboard, MOVED_ZONE)).to_have_attribute("data-region", "NE",
                                                             timeout=10_000)
    expect(zone_dot(dashboard, MOVED_ZONE)).to_have_attribute("fill", ne_colour or "")
    expect(dashboard.locator(f'[data-rollout="{rollout_id}"] [data-f="state"]')).to_have_text(
        "running")
    screenshot(dashboard, "dashboard-mid-rollout")
    screenshot(otto, "rollout-phase1-live")

    # f. the operator rolls back: the dialog names the regions, the page says so at once
    otto.get_by_role("link", name="Roll back…").click()
    dialog = otto.get_by_role("dialog", name=f"Roll back rollout #{rollout_id}?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Reason")).to_be_focused()
    otto.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    otto.get_by_role("link", name="Roll back…").click()
    expect(dialog.get_by_label("Reason")).to_be_focused()
    changes = dialog.locator(".rollback-changes")
    for code in ("NE", "MA"):
        expect(changes).to_contain_text(f"{code}: {moved.id}")
    expect(changes).to_contain_text(f"back to {national.id}")
    dialog.get_by_label("Reason").fill("Zones 150-152 late in the browser test")
    screenshot(otto, "rollback-dialog", full_page=False)
    clicked = time.monotonic()
    dialog.get_by_role("button", name="Roll back now").click()
    expect(otto_state).to_have_text("rolled back", timeout=1000)
    shown_after = time.monotonic() - clicked
    assert shown_after < 1.0, f"rolled back shown {shown_after:.2f} s after the click"
    expect(dialog).to_be_hidden()
    expect(otto.locator("#action-message .message")).to_be_focused()
    expect(otto.locator("#live-summary")).to_contain_text(
        "Rolled back: Zones 150-152 late in the browser test")
    screenshot(otto, "rollout-rolled-back")
    assert Rollout.objects.get(id=rollout_id).state == "rolled_back"

    expect(zone_dot(dashboard, MOVED_ZONE)).to_have_attribute("data-region", "MA",
                                                             timeout=10_000)
    expect(zone_dot(dashboard, MOVED_ZONE)).to_have_attribute("fill", ma_colour or "")

    otto.goto("/regions/NE/")
    screenshot(otto, "region-ne")
    otto.goto("/audit/")
    screenshot(otto, "audit-log")
    otto.goto("/tokens/")
    otto.get_by_label("Name").fill("CI deploy job")
    otto.get_by_role("button", name="Create token").click()
    expect(otto.get_by_role("heading", name=re.compile(r"^Token .CI deploy job. created"))
           ).to_be_visible()
    screenshot(otto, "api-tokens")

    # g. no page asked another host for anything
    for page in (anonymous_page, edna, abe, otto, dashboard):
        assert page.external_requests == []


def test_planner__drag_regions_into_phases__phase_fields_follow(
        page_for: Any, worker_queue: WorkerQueue) -> None:
    # Given the demo and an editor on the planner for all-eight
    call_command("demo", stdout=io.StringIO())
    person("edna", Role.EDITOR)
    edna = page_for("edna", PASSWORD)
    edna.goto(f"/rollouts/new/?version={demo_version('all-eight').id}")

    # When NE is dragged into phase 1 and PC onto phase 1's box, then PC back to the pool
    phase_1 = edna.get_by_role("group", name="Phase 1")
    card = edna.locator(".region-card[data-code='NE']")
    card.drag_to(phase_1.locator("[data-phase-zone]"))
    edna.locator(".region-card[data-code='PC']").drag_to(phase_1)
    edna.locator(".region-card[data-code='PC']").drag_to(edna.locator("#region-pool"))

    # Then the phase's Regions field says NE, and NE's menu says phase 1
    expect(phase_1.get_by_label("Regions", exact=True)).to_have_value("NE")
    expect(edna.get_by_label("Phase for region NE")).to_have_value("1")
    expect(edna.get_by_label("Phase for region PC")).to_have_value("")
    assert edna.external_requests == []
