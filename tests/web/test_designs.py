"""The "Design regions" page: editors design (a job a worker runs), anyone follows the job's
page to the maps, KPIs and sweep, editors save the proposal as a version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rollout.models import DesignJob, Version
from tests.factories import version_factory
from tests.rollout_factories import People
from tests.web.helpers import assert_forbidden, assert_page_ok, role_clients

pytestmark = pytest.mark.django_db
Capture = Callable[..., Any]


def test_design_page__editor_designs_with_a_sweep__maps_kpis_chart_then_saved(
        who: People, eager_celery: None, django_capture_on_commit_callbacks: Capture) -> None:
    # Given a version and an editor on the page
    version = version_factory("east coast")
    clients = role_clients(who)
    assert "Design regions" in assert_page_ok(clients["editor"].get("/design/"))

    # When the editor designs 2 regions with a sweep 1-3 (the job runs when the request commits)
    with django_capture_on_commit_callbacks(execute=True):
        response = clients["editor"].post("/design/new/", {
            "version": version.id, "regions": "2", "sweep_from": "1", "sweep_to": "3",
            "headroom": "0.1", "contiguous": "on"})
    job = DesignJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/design/{job.id}/"
    assert job.result is not None

    # Then a viewer following the job sees both maps, the moved zones ringed, the KPIs, the sweep
    html = assert_page_ok(clients["viewer"].get(f"/design/{job.id}/"))
    assert 'id="map-current"' in html and 'id="map-proposed"' in html
    assert html.count('class="moved"') == len(job.result["moved_zones"])
    assert "K sweep" in html and html.count('class="panel"') == 5
    assert "KPIs: the version (before) and the proposal (after)" in html
    assert "Save as version" not in html  # a viewer cannot save
    assert_forbidden(clients["viewer"].post(f"/design/{job.id}/save/", {"message": "x"}))

    # When the editor saves it
    response = clients["editor"].post(f"/design/{job.id}/save/", {"message": "two regions"})

    # Then the new version is a child of the designed one and the page leads to it
    saved = Version.objects.get(message="two regions")
    assert saved.parent_id == version.id
    assert response.status_code == 302 and response["Location"] == f"/versions/{saved.id}/"


def test_design_page__viewer_posts__403_nothing_stored(who: People) -> None:
    version = version_factory("east coast")
    response = role_clients(who)["viewer"].post("/design/new/", {"version": version.id,
                                                                 "regions": "2"})
    assert_forbidden(response)
    assert not DesignJob.objects.exists()


def test_design_page__half_a_sweep__400_saying_so_nothing_stored(who: People) -> None:
    version = version_factory("east coast")
    response = role_clients(who)["editor"].post("/design/new/", {
        "version": version.id, "regions": "2", "sweep_from": "3"})
    assert response.status_code == 400
    assert "A sweep needs both ends" in response.content.decode()
    assert not DesignJob.objects.exists()


def test_design_page__unknown_version__404_said_on_the_form(who: People) -> None:
    response = role_clients(who)["editor"].post("/design/new/", {"version": "feedbeef",
                                                                 "regions": "2"})
    assert response.status_code == 404
    assert not DesignJob.objects.exists()


def test_design_job_page__pending__progress_bar_and_reload(who: People) -> None:
    version = version_factory("east coast")
    job = DesignJob.objects.create(version=version, params={"regions": 2, "headroom": 0.0},
                                   request_key="k", requested_by=who.editor, progress=0.4,
                                   progress_text="solving K=2")
    html = assert_page_ok(role_clients(who)["viewer"].get(f"/design/{job.id}/"))
    assert '<progress max="100" value="40"' in html and "solving K=2" in html
    assert 'http-equiv="refresh"' in html


def test_design_job_page__unknown__404(who: People) -> None:
    assert role_clients(who)["viewer"].get("/design/999999/").status_code == 404
