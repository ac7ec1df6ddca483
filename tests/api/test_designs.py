"""/designs (issue 14): POST a region design (editors) -> 202 with a job; poll GET /designs/{id}
(any role) until done; POST /designs/{id}/save (editors) -> 201 with the new version.

The job runs through Celery as in production: enqueued after the commit and run by the task
`rollout.design_job_run`, here eagerly in this process (tests/api/test_job_workers.py
runs it on a real worker and broker).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rollout.models import DesignJob, Version
from rollout.services.designs import region_design
from tests.api.helpers import API, ApiClient
from tests.factories import version_factory

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]
Capture = Callable[..., Any]


def poll(client: ApiClient, url: str) -> Any:
    assert url.startswith(API)
    return client.get(url.removeprefix(API))


def test_post_designs__editor__202_then_poll_says_done_with_the_command_json(
        as_role: AsRole, eager_celery: None,
        django_capture_on_commit_callbacks: Capture) -> None:
    # Given a version, an editor, and a viewer who follows the design
    version = version_factory("east coast")
    editor, viewer = as_role("editor"), as_role("viewer")

    # When the editor asks for two regions with a sweep (the job runs when the request commits)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post("/designs", {"version": version.id, "regions": 2,
                                            "sweep": "1-3", "contiguous": True})

    # Then 202 with the job to poll, in the body and the Location header
    assert response.status_code == 202
    job = response.json()
    assert {"id", "state", "progress", "url"} <= set(job)
    assert job["state"] == "pending" and job["progress"] == 0
    assert response["Location"] == job["url"] == f"{API}/designs/{job['id']}"
    # And the viewer, polling, finds it done: the command's JSON with the sweep
    done = poll(viewer, job["url"])
    assert done.status_code == 200
    body = done.json()
    assert body["state"] == "done" and body["error"] is None and body["progress"] == 1.0
    assert body["params"]["sweep"] == "1-3" and body["requested_by"] == "edna"
    expected = region_design(version=version, regions=2, contiguous=True).as_dict()
    assert body["result"]["regions"] == expected["regions"]
    assert [row["regions"] for row in body["result"]["sweep"]] == [1, 2, 3]
    assert body["saved_version"] is None


def test_post_designs__viewer__403_nothing_stored(as_role: AsRole) -> None:
    response = as_role("viewer").post("/designs", {"version": version_factory().id,
                                                   "regions": 2})

    assert response.status_code == 403 and "editor" in response.json()["detail"]
    assert not DesignJob.objects.exists()


@pytest.mark.parametrize(("body", "where"), [
    ({"regions": 0}, "regions"),
    ({"regions": 2, "headroom": 1.5}, "headroom"),
    ({"regions": 2, "sweep": "four-twelve"}, "sweep"),
    ({"regions": 2, "time_limit": 0}, "time_limit"),
    ({"regions": 2, "max_moves": -1}, "max_moves"),
    ({"regions": 2, "balance": 0.5}, "balance"),
    ({}, "regions"),
])
def test_post_designs__bad_body__422_saying_where(as_role: AsRole, body: dict[str, Any],
                                                  where: str) -> None:
    response = as_role("editor").post("/designs", {"version": version_factory().id, **body})

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(where in item["loc"] for item in detail), detail


def test_post_designs__sweep_too_wide__400_saying_so(as_role: AsRole) -> None:
    response = as_role("editor").post("/designs", {"version": version_factory().id,
                                                   "regions": 2, "sweep": "1-30"})

    assert response.status_code == 400
    assert "at most 16" in response.json()["detail"]


def test_post_designs__unknown_region_to_keep__400_naming_it_nothing_stored(
        as_role: AsRole) -> None:
    response = as_role("editor").post("/designs", {"version": version_factory().id,
                                                   "regions": 2, "keep": ["ZZ"]})

    assert response.status_code == 400
    assert "--keep names unknown region(s) ZZ" in response.json()["detail"]
    assert not DesignJob.objects.exists()


def test_post_designs__unknown_version__404(as_role: AsRole) -> None:
    response = as_role("editor").post("/designs", {"version": "ffffffffffff", "regions": 2})

    assert response.status_code == 404


def test_post_designs__too_many_active__429(
        as_role: AsRole, django_capture_on_commit_callbacks: Capture) -> None:
    # Given an editor with three designs not started yet
    version, editor = version_factory(), as_role("editor")
    with django_capture_on_commit_callbacks(execute=False):
        for k in (1, 2, 3):
            assert editor.post("/designs", {"version": version.id,
                                            "regions": k}).status_code == 202

        # When they ask for a fourth
        response = editor.post("/designs", {"version": version.id, "regions": 4})

    # Then it is refused, saying why
    assert response.status_code == 429 and "at most 3" in response.json()["detail"]


def test_get_design__unknown_id__404(as_role: AsRole) -> None:
    response = as_role("viewer").get("/designs/999999")

    assert response.status_code == 404 and "no design job 999999" in response.json()["detail"]


@pytest.mark.parametrize("job_id", ["0", "-1", str(2**63), "abc"])
def test_get_design__id_out_of_range__422_not_500(as_role: AsRole, job_id: str) -> None:
    assert as_role("viewer").get(f"/designs/{job_id}").status_code == 422


def test_post_design_save__done__201_new_version_and_again_the_same(
        as_role: AsRole, eager_celery: None,
        django_capture_on_commit_callbacks: Capture) -> None:
    # Given a done design
    version, editor = version_factory("east coast"), as_role("editor")
    with django_capture_on_commit_callbacks(execute=True):
        job = editor.post("/designs", {"version": version.id, "regions": 2}).json()

    # When the editor saves it, and saves it again
    saved = editor.post(f"/designs/{job['id']}/save", {"message": "Two proposed regions"})
    again = editor.post(f"/designs/{job['id']}/save", {"message": "Two proposed regions"})

    # Then a new valid version, child of the designed one, the same both times
    assert saved.status_code == 201, saved.json()
    new = saved.json()
    assert new["parent"] == version.id and new["valid"] and new["id"] != version.id
    assert again.status_code == 201 and again.json()["id"] == new["id"]
    assert Version.objects.filter(parent=version).count() == 1
    # And the job says which version it was saved as
    assert poll(as_role("viewer"), job["url"]).json()["saved_version"] == new["id"]


def test_post_design_save__viewer__403(
        as_role: AsRole, eager_celery: None,
        django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = as_role("editor").post("/designs", {"version": version_factory().id,
                                                  "regions": 2}).json()

    response = as_role("viewer").post(f"/designs/{job['id']}/save", {"message": "no"})

    assert response.status_code == 403


def test_post_design_save__not_done__409(
        as_role: AsRole, django_capture_on_commit_callbacks: Capture) -> None:
    editor = as_role("editor")
    with django_capture_on_commit_callbacks(execute=False):
        job = editor.post("/designs", {"version": version_factory().id, "regions": 2}).json()

    response = editor.post(f"/designs/{job['id']}/save", {"message": "too early"})

    assert response.status_code == 409 and "pending" in response.json()["detail"]


def test_post_design_save__empty_message__422(as_role: AsRole) -> None:
    response = as_role("editor").post("/designs/1/save", {"message": ""})

    assert response.status_code == 422
