"""The dashboard and its live.json: who may see them, the live map, regions, rollouts, freezes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rollout.models import Rollout
from rollout.services.activations import region_rollback
from rollout.services.engine import rollout_advance
from rollout.services.freezes import freeze_create
from rollout.services.kpis import kpi_observation_record, kpi_snapshot_record_simulated
from rollout.services.rollbacks import rollout_rollback
from rollout.services.rollouts import rollout_pause
from rollout.web.rollout_data import progress_percent
from rollout.web.usmap import NOT_LIVE, region_colours
from tests.rollout_factories import (
    REGIONS,
    make_live,
    moved_282_version,
    original_version,
    rollout_factory,
)
from tests.web.helpers import (
    assert_forbidden,
    assert_login_redirect,
    assert_page_ok,
    client_as,
    role_clients,
)

pytestmark = pytest.mark.django_db

COLOURS = region_colours(REGIONS)


def zone_circle(html: str, zone: str) -> dict[str, str]:
    """The attributes of zone `zone`'s circle on the map."""
    match = re.search(rf'<circle [^>]*data-zone="{zone}"[^>]*>', html)
    assert match, f"zone {zone} is not on the map"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(0)))


@pytest.mark.parametrize("url", ["/", "/live.json"])
@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "operator"])
def test_dashboard__any_role__allowed(who: Any, role: str, url: str) -> None:
    # Given the example live / When a user with a role asks
    make_live(original_version())
    response = role_clients(who)[role].get(url)

    # Then
    assert response.status_code == 200
    if url == "/":
        assert_page_ok(response)


@pytest.mark.parametrize("url", ["/", "/live.json"])
def test_dashboard__user_without_role__forbidden(who: Any, url: str) -> None:
    assert_forbidden(role_clients(who)["nobody"].get(url))


@pytest.mark.parametrize("url", ["/", "/live.json"])
def test_dashboard__anonymous__redirected_to_login(url: str) -> None:
    assert_login_redirect(Client().get(url))


def test_dashboard__nothing_live__every_zone_grey_and_regions_not_live(who: Any) -> None:
    # Given a stored version that nothing has activated
    original_version()

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then the version's zones are drawn, grey, with no region; the regions are listed
    circle = zone_circle(html, "021")
    assert circle["fill"] == NOT_LIVE and circle["data-region"] == ""
    assert "Nothing is live yet" in html
    assert html.count('<span class="badge">not live</span>') == 3


def test_dashboard__all_live__zones_coloured_by_their_region(who: Any) -> None:
    # Given the example live in its three regions
    version = original_version()
    make_live(version)

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then each zone has its region's colour and code (not colour alone)
    for zone, region in (("021", "NE"), ("191", "MA"), ("303", "SE")):
        circle = zone_circle(html, zone)
        assert (circle["data-region"], circle["fill"]) == (region, COLOURS[region])
        assert f"zone {zone}: {region}" in html
    assert f'href="/versions/{version.id}/"' in html
    assert "11 of 11 zones live on 1 version" in html


def test_dashboard__mid_rollout_mix__two_versions_and_moved_zone_shown(who: Any) -> None:
    # Given the original live everywhere, then MA and SE on the version moving 282 to MA
    original, moved = original_version(), moved_282_version()
    make_live(original)
    make_live(moved, ["MA", "SE"])

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then both versions are live, each with its regions, and 282 is drawn as MA's
    assert "on 2 versions" in html
    mix = re.search(r'<ul class="mix".*?</ul>', html, re.S)
    assert mix and original.id in mix.group(0) and moved.id in mix.group(0)
    assert zone_circle(html, "282")["data-region"] == "MA"
    rows = {code: re.search(rf'<tr data-region="{code}">.*?</tr>', html, re.S)
            for code in REGIONS}
    assert moved.id in rows["MA"].group(0) and moved.id in rows["SE"].group(0)  # type: ignore[union-attr]
    assert original.id in rows["NE"].group(0)  # type: ignore[union-attr]


def test_dashboard__rollout_running__in_flight_with_progress_and_kpi_change(who: Any) -> None:
    # Given the original live and a two-phase rollout of the moved version whose first phase
    # (MA, SE) is baking
    make_live(original_version())
    rollout = rollout_factory(moved_282_version(), ["MA", "SE"], ["NE"], who=who,
                              state="running", bake_minutes=30)
    rollout_advance(rollout_id=rollout.id)

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then the rollout is in flight: its link, phases done, current phase, next step, and a
    # progress bar by the rollout page's rule (a baking phase counts half: 25 %)
    flight = re.search(rf'<article class="flight" data-rollout="{rollout.id}">.*?</article>',
                       html, re.S)
    assert flight, html
    text = flight.group(0)
    assert f'href="/rollouts/{rollout.id}/"' in text
    assert "0 of 2 phases done, one baking" in text
    assert progress_percent("running", 0, 1, 2) == 25
    assert 'aria-valuenow="25"' in text and "width:25%" in text
    assert "phase 1 of 2 (baking): MA, SE" in text
    assert re.search(r"next step in (29|30) min", text)
    # and MA's KPIs show the change since before the activation, with a sign, not colour alone
    ma = re.search(r'<tr data-region="MA">.*?</tr>', html, re.S)
    assert ma and re.search(r'class="delta (better|worse|same)', ma.group(0))
    assert re.search(r"[▲▼=] [+−]", ma.group(0))


def test_dashboard__observed_kpis__shown_as_observed(who: Any) -> None:
    # Given the example live and an observation for NE since
    make_live(original_version())
    kpi_observation_record(region="NE", values={"trucks": 42}, actor=who.operator)

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then
    ne = re.search(r'<tr data-region="NE">.*?</tr>', html, re.S)
    assert ne and '42<abbr title="observed"' in ne.group(0)


def test_dashboard__freeze_windows__open_and_upcoming_shown_past_hidden(who: Any) -> None:
    # Given a freeze open now, one upcoming and one over
    now = timezone.now()
    for start, end, reason in ((-1, 1, "peak now"), (5, 6, "peak later"), (-9, -8, "old peak")):
        freeze_create(starts_at=now + timedelta(days=start), ends_at=now + timedelta(days=end),
                      reason=reason, actor=who.approver)

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then
    assert "peak now" in html and "open now" in html
    assert "peak later" in html and "upcoming" in html
    assert "old peak" not in html


def test_dashboard_live__changed_state__map_colours_and_progress(who: Any) -> None:
    # Given the original live and a rollout approved but not started
    make_live(original_version())
    rollout = rollout_factory(moved_282_version(), ["MA", "SE"], who=who, state="approved")

    # When the page polls without knowing the current activation
    body = client_as(who.viewer).get("/live.json").json()

    # Then it gets the whole map and the rollout's progress
    assert body["map"]["colours"] == COLOURS
    assert sorted(body["map"]["zones"]["SE"]) == ["282", "303"]
    assert body["map"]["gaps"] == []
    [flight] = body["rollouts"]
    assert (flight["id"], flight["state"], flight["done"], flight["total"]) == (
        rollout.id, "approved", 0, 1)


def test_dashboard_live__same_key__unchanged_small_and_cheap(
        who: Any, django_assert_max_num_queries: Any) -> None:
    # Given a page drawn with the current key
    make_live(original_version())
    client = client_as(who.viewer)
    key = client.get("/live.json").json()["key"]

    # When it polls again with nothing new, the answer is small and cheap
    with django_assert_max_num_queries(10):
        body = client.get(f"/live.json?key={key}").json()

    # Then
    assert body["changed"] is False and body["key"] == key and "map" not in body


def test_dashboard__page_key__is_the_key_live_json_gives(who: Any) -> None:
    # Given / When the dashboard and live.json, nothing changing in between
    make_live(original_version())
    client = client_as(who.viewer)
    html = assert_page_ok(client.get("/"))
    key = re.search(r'data-key="([^"]+)"', html)

    # Then a page polling with its own key hears "unchanged"
    assert key and client.get(f"/live.json?key={key.group(1)}").json()["changed"] is False


def test_dashboard_live__activation_pause_rollback__key_changes_each_time(who: Any) -> None:
    # Given a running rollout whose first phase is baking, and the key of that state
    make_live(original_version())
    rollout = rollout_factory(moved_282_version(), ["MA", "SE"], ["NE"], who=who,
                              state="running", bake_minutes=30)
    client = client_as(who.viewer)
    keys = [client.get("/live.json").json()["key"]]

    # When its first phase goes live, it is paused (no activation), then rolled back
    rollout_advance(rollout_id=rollout.id)
    keys.append(client.get(f"/live.json?key={keys[-1]}").json()["key"])
    rollout_pause(rollout_id=rollout.id, actor=who.operator)
    keys.append(client.get(f"/live.json?key={keys[-1]}").json()["key"])
    rollout_rollback(rollout_id=rollout.id, actor=who.operator, reason="late")
    body = client.get(f"/live.json?key={keys[-1]}").json()

    # Then every step changed the key, and the last answer says so, rollout gone from flight
    keys.append(body["key"])
    assert len(set(keys)) == 4
    assert body["changed"] is True and body["rollouts"] == []


def rolled_back_after_phase_one(who: Any) -> Rollout:
    """The original live; a rollout of the moved version activates MA and SE, then is rolled
    back by the operator."""
    make_live(original_version())
    rollout = rollout_factory(moved_282_version(), ["MA", "SE"], ["NE"], who=who,
                              state="running", bake_minutes=30)
    rollout_advance(rollout_id=rollout.id)
    return rollout_rollback(rollout_id=rollout.id, actor=who.operator, reason="late")


def test_dashboard__rollout_rolled_back__no_longer_running_shown_as_ended(who: Any) -> None:
    # Given a rollout whose first phase went live, then rolled back
    rolled_back_after_phase_one(who)

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then nothing is in flight; the rollout is listed as ended, rolled back, with no phase
    # "baking" and no progress bar
    flight = re.search(r'data-live-section="in-flight">.*?</section>', html, re.S)
    assert flight
    text = flight.group(0)
    assert "No rollout is approved, running or paused" in text
    assert "Ended in the last hour" in text
    assert re.search(r'data-f="state">rolled back<', text)
    assert "state-running" not in text and "baking" not in text and "progressbar" not in text


def test_dashboard__sections__every_live_part_marked_for_redrawing(who: Any) -> None:
    # Given
    make_live(original_version())

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then each part that follows the live state can be swapped by dashboard.js
    sections = re.findall(r'data-live-section="([\w-]+)"', html)
    assert sorted(sections) == sorted(["header", "gaps", "mix", "map", "in-flight", "freezes",
                                       "regions"])
    assert "reload" not in html


def test_dashboard__activated_by_rollout__said_as_people_say_it(who: Any) -> None:
    # Given MA activated by a rollout's first phase, then rolled back with the rollout
    rollout = rolled_back_after_phase_one(who)

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then
    ma = re.search(r'<tr data-region="MA">.*?</tr>', html, re.S)
    assert ma
    text = re.sub(r"<[^>]+>", "", ma.group(0))
    assert f"rolled back with rollout #{rollout.id} by {who.operator.username}" in text


def test_dashboard__queries__bounded(who: Any, django_assert_max_num_queries: Any) -> None:
    # Given a mid-rollout mix, warmed once
    make_live(original_version())
    make_live(moved_282_version(), ["MA", "SE"])
    client = client_as(who.viewer)
    client.get("/")

    # When / Then
    with django_assert_max_num_queries(30):
        assert_page_ok(client.get("/"))


def test_dashboard__region_rolled_back__kpis_of_its_version_recorded_earlier(who: Any) -> None:
    # Given NE live on the original with a simulated "after" snapshot, then on the moved
    # version, then rolled back to the original (a rollback records no snapshot of its own)
    original = original_version()
    make_live(original)
    snapshot = kpi_snapshot_record_simulated(version=original, region="NE", kind="after")
    make_live(moved_282_version(), ["NE"])
    region_rollback(region="NE", version=original, reason="back", actor=who.operator)

    # When
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then NE shows the original's KPIs, with no change claimed
    ne = re.search(r'<tr data-region="NE">.*?</tr>', html, re.S)
    assert ne and f'{snapshot.values["trucks"]:,}</td>' in ne.group(0)
    assert "delta" not in ne.group(0)
