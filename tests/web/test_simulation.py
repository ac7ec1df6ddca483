"""The simulation page: a version's KPIs against a baseline, per region and in total."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from rollout.domain.bundle import read_bundle_path
from rollout.models import SimulationJob, SimulationRun
from rollout.services.kpis import simulation_run
from rollout.services.simulations import simulation_job_run
from rollout.services.versions import version_create
from tests.factories import EXAMPLES, version_factory
from tests.rollout_factories import (
    People,
    make_live,
    moved_282_version,
    original_version,
)
from tests.web.helpers import (
    assert_forbidden,
    assert_login_redirect,
    assert_page_ok,
    client_as,
    role_clients,
)

pytestmark = pytest.mark.django_db

CELL = re.compile(r'data-region="([^"]+)" data-kpi="([^"]+)" data-side="([^"]+)" '
                  r'data-value="([^"]+)"')


def cells(html: str) -> dict[tuple[str, str, str], float | None]:
    """Every number of the KPI tables: (region or Total, kpi, before|after|delta) -> value."""
    return {(region, kpi, side): (None if value == "None" else float(value))
            for region, kpi, side, value in CELL.findall(html)}


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "operator"])
def test_simulate_page__any_role__renders_the_form(who: People, role: str) -> None:
    # Given a stored version and a user with a role
    original_version()
    # When they open the simulation page
    html = assert_page_ok(role_clients(who)[role].get("/simulate/"))
    # Then the version picker is there
    assert 'name="version"' in html and 'name="baseline"' in html


def test_simulate_page__user_without_a_role__is_forbidden(who: People) -> None:
    assert_forbidden(role_clients(who)["nobody"].get("/simulate/"))


def test_simulate_page__anonymous__is_sent_to_login(who: People) -> None:
    assert_login_redirect(role_clients(who)["anonymous"].get("/simulate/?version=abcd"))


def test_simulate__version_against_its_parent__shows_the_service_numbers(who: People) -> None:
    # Given the east-coast example and a version moving zone 282 from SE to MA (its child)
    original, moved = original_version(), moved_282_version()
    assert moved.parent_id == original.id
    # When a viewer simulates the child without naming a baseline
    html = assert_page_ok(client_as(who.viewer).get(f"/simulate/?version={moved.id}"))
    # Then every before, after and delta equals the service's numbers, per region and in total
    before, after = simulation_run(version=original), simulation_run(version=moved)
    shown = cells(html)
    sides: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("Total", before["total"], after["total"])]
    sides += [(code, before["regions"][code], kpis) for code, kpis in after["regions"].items()]
    assert {region for region, _, _ in shown} == {"Total", "NE", "MA", "SE"}
    for region, old, new in sides:
        for kpi, value in new.items():
            assert shown[(region, kpi, "after")] == pytest.approx(value, abs=0)
            assert shown[(region, kpi, "before")] == pytest.approx(old[kpi], abs=0)
            assert shown[(region, kpi, "delta")] == pytest.approx(value - old[kpi])
    # And the move shows up: MA serves more orders, SE fewer
    assert (shown[("MA", "orders", "delta")] or 0) > 0 > (shown[("SE", "orders", "delta")] or 0)


def test_simulate__changes__say_better_or_worse_in_words_and_arrows(who: People) -> None:
    # Given a rerouting that changes some KPIs
    original, moved = original_version(), moved_282_version()
    # When it is simulated against the original
    html = assert_page_ok(client_as(who.viewer).get(
        f"/simulate/?version={moved.id}&baseline={original.id}"))
    # Then each KPI says which direction is better, and changes carry an arrow and a word
    assert "Better when" in html and ">higher ▲<" in html and ">lower ▼<" in html
    assert re.search(r'class="num delta (better|worse)"[^>]*>[+-][^<]*<span aria-hidden="true">'
                     r'[▲▼]</span> <span class="verdict">(better|worse)</span>', html)


def test_simulate__repeated__is_answered_from_the_cache(who: People) -> None:
    # Given a comparison simulated once
    original, moved = original_version(), moved_282_version()
    client = client_as(who.viewer)
    url = f"/simulate/?version={moved.id}&baseline={original.id}"
    first = assert_page_ok(client.get(url))
    runs = SimulationRun.objects.count()
    # When the same comparison is asked for again
    second = assert_page_ok(client.get(url))
    # Then nothing is computed again, and the page says where the numbers came from
    assert SimulationRun.objects.count() == runs
    assert "computed now, then cached" in first or "from the cache" in first
    assert "(from the cache)" in second
    assert re.search(r"Simulated in \d+ ms", second)


def test_simulate__live_baseline__compares_with_each_regions_active_version(
        who: People) -> None:
    # Given the original live in every region
    original, moved = original_version(), moved_282_version()
    make_live(original)
    # When the moved version is simulated against the live network
    html = assert_page_ok(client_as(who.viewer).get(f"/simulate/?version={moved.id}&baseline=live"))
    # Then each region's "before" is its KPIs under its active version; there is no live total
    shown = cells(html)
    live = simulation_run(version=original)
    for code in ("NE", "MA", "SE"):
        assert shown[(code, "trucks", "before")] == live["regions"][code]["trucks"]
    assert shown[("Total", "trucks", "before")] is None
    assert "the live network" in html and "no total to compare with" in html


def test_simulate__version_with_errors__is_refused_with_a_message(who: People) -> None:
    # Given a stored version with an error
    files = read_bundle_path(EXAMPLES / "broken" / "unknown-station")
    broken = version_create(files=files, message="broken", parent=None).version
    assert not broken.valid
    # When a viewer tries to simulate it
    response = client_as(who.viewer).get(f"/simulate/?version={broken.id}&baseline=none")
    # Then the page says why, with no table
    html = assert_page_ok(response)
    assert "Cannot simulate" in html and "error(s)" in html
    assert "data-kpi=" not in html


def test_simulate__unknown_version__is_404_with_a_message(who: People) -> None:
    response = client_as(who.viewer).get("/simulate/?version=ffffffff")
    assert response.status_code == 404
    assert "no version" in response.content.decode()


def test_simulate__chosen_chart_kpi__draws_that_chart(who: People) -> None:
    # Given two versions
    original, moved = original_version(), moved_282_version()
    # When the user asks for the truck fill chart
    html = assert_page_ok(client_as(who.viewer).get(
        f"/simulate/?version={moved.id}&baseline={original.id}&chart=fill_pct"))
    # Then that chart is drawn, saying which direction is better
    assert "Truck fill by region (higher is better)" in html
    assert html.count("<svg") >= 1 and "Trucks by region" not in html


def test_simulate__no_baseline__shows_the_version_alone(who: People) -> None:
    original = original_version()
    html = assert_page_ok(client_as(who.viewer).get(
        f"/simulate/?version={original.id}&baseline=none"))
    shown = cells(html)
    assert shown[("Total", "orders", "after")] == simulation_run(version=original)["total"][
        "orders"]
    assert shown[("Total", "orders", "before")] is None and "(no baseline)" in html


def test_simulate__comparison__charts_right_after_total_region_tables_folded(who: People
                                                                              ) -> None:
    # Given a version and its parent
    original, moved = original_version(), moved_282_version()
    # When they are compared
    html = assert_page_ok(client_as(who.viewer).get(
        f"/simulate/?version={moved.id}&baseline={original.id}"))
    # Then the charts come right after the total, before the per-region tables
    total, charts = html.index('id="kpis-total"'), html.index('id="sim-charts"')
    regions = html.index('id="sim-regions"')
    assert total < charts < regions
    # And each region's table is folded into a <details> naming the region and its counts
    assert html.count('<details class="region-kpis">') == 3
    # And the legend names both sides
    assert f"before: <span class=\"mono\">{original.id}</span>" in html


# --- simulations a worker computes (issue 12) ---------------------------------------------


def test_simulate__not_cached_not_small__computing_page_polls_until_the_worker_is_done(
        who: People, settings: Settings) -> None:
    # Given a comparison that is neither cached nor small enough for the web process
    settings.RRM_SIMULATE_INLINE_ITEMS = 0
    original, moved = original_version(), moved_282_version()
    client = client_as(who.viewer)

    # When a viewer asks for it
    html = assert_page_ok(client.get(f"/simulate/?version={moved.id}&baseline={original.id}"))

    # Then the page says it is computing and reloads itself, watching the jobs; nothing was
    # simulated in the web process
    jobs = list(SimulationJob.objects.order_by("id"))
    assert {job.version_id for job in jobs} == {original.id, moved.id}
    assert "Computing…" in html and "data-kpi=" not in html
    refresh = re.search(r'<meta http-equiv="refresh" content="2;url=([^"]+)">', html)
    assert refresh is not None
    url = unescape(refresh.group(1))
    assert f"jobs={jobs[0].id}%2C{jobs[1].id}" in url
    assert not SimulationRun.objects.exists()
    # And while the jobs are pending, the reloaded page keeps waiting without new jobs
    assert "Computing…" in assert_page_ok(client.get(url))
    assert SimulationJob.objects.count() == 2

    # When a worker has run them, the reloaded page shows the comparison
    for job in jobs:
        simulation_job_run(job_id=job.id)
    done = assert_page_ok(client.get(url))
    assert "Computing…" not in done and 'http-equiv="refresh"' not in done
    assert cells(done)[("Total", "orders", "after")] == simulation_run(version=moved)[
        "total"]["orders"]


def test_simulate__watched_job_failed__says_why_and_starts_nothing(who: People,
                                                                    settings: Settings) -> None:
    # Given a page waiting for a job that then failed
    settings.RRM_SIMULATE_INLINE_ITEMS = 0
    original = original_version()
    client = client_as(who.viewer)
    client.get(f"/simulate/?version={original.id}&baseline=none")
    job = SimulationJob.objects.get()
    SimulationJob.objects.filter(id=job.id).update(state="failed", error="the worker ran out")

    # When the page reloads
    html = assert_page_ok(client.get(
        f"/simulate/?version={original.id}&baseline=none&jobs={job.id}"))

    # Then it says the simulation failed and why, and asks for no new job
    assert f"Cannot simulate: the simulation of {original.id} failed: the worker ran out" in html
    assert SimulationJob.objects.count() == 1


def test_simulate__live_baseline_not_cached__computing_then_compared(who: People,
                                                                     settings: Settings) -> None:
    settings.RRM_SIMULATE_INLINE_ITEMS = 0
    original, moved = original_version(), moved_282_version()
    make_live(original)
    client = client_as(who.viewer)

    html = assert_page_ok(client.get(f"/simulate/?version={moved.id}&baseline=live"))

    assert "Computing…" in html
    for job in SimulationJob.objects.all():
        simulation_job_run(job_id=job.id)
    shown = cells(assert_page_ok(client.get(f"/simulate/?version={moved.id}&baseline=live")))
    assert shown[("NE", "trucks", "before")] == simulation_run(
        version=original)["regions"]["NE"]["trucks"]


def test_simulate__demand_yaml_beyond_the_work_bound__says_the_limit_not_500(
        who: People) -> None:
    # Given a valid version whose demand.yaml asks for 60 items per order (5.6 M items)
    heavy = version_factory("heavy", demand=("items_per_order: 1.6", "items_per_order: 60"))

    html = assert_page_ok(client_as(who.viewer).get(f"/simulate/?version={heavy.id}"
                                                    "&baseline=none"))

    assert "Cannot simulate: demand.yaml.items_per_order: 60 items per order" in html
    assert "at most 5,000,000 items" in html
    assert not SimulationJob.objects.exists() and not SimulationRun.objects.exists()


@pytest.mark.parametrize("jobs", ["abc", "1,,x", "99999999999999999999999", "-1"])
def test_simulate__malformed_jobs_parameter__ignored(who: People, jobs: str) -> None:
    original = original_version()

    html = assert_page_ok(client_as(who.viewer).get(
        f"/simulate/?version={original.id}&baseline=none&jobs={jobs}"))

    assert "data-kpi=" in html
