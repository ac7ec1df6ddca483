"""POST /simulate of a simulation that is neither cached nor small (issue 12): 202 with a job to
poll at GET /simulations/{id} (pending, running, done with the 200 body, failed); a cached
result is still 200 at once; identical requests share one job.

The job runs through Celery as in production: enqueued after the commit, run by the task
`rollout.simulate_job` (here eagerly, in this process; tests/api/test_job_workers.py runs
it on a real worker and broker).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from rollout.models import SimulationJob, SimulationRun
from rollout.services.simulations import simulation_compare
from tests.api.helpers import API, ApiClient
from tests.rollout_factories import original_version, rerouted_version

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]
Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def nothing_inline(settings: Settings) -> None:
    """The east-coast example is small enough to answer at once; here nothing is."""
    settings.RRM_SIMULATE_INLINE_ITEMS = 0


def answered(result: dict[str, Any]) -> dict[str, Any]:
    """A result as the API answers it (SimulationOut: baseline and delta null without one)."""
    return {"baseline": None, "delta": None, **result}


def poll(client: ApiClient, url: str) -> Any:
    assert url.startswith(API)
    return client.get(url.removeprefix(API))


def test_post_simulate__not_cached__202_then_poll_says_done_with_the_200_body(
        as_role: AsRole, eager_celery: None,
        django_capture_on_commit_callbacks: Capture) -> None:
    # Given a version never simulated, with a baseline
    new, old = rerouted_version(), original_version()
    viewer = as_role("viewer")

    # When a viewer asks for the comparison (the job is enqueued when the request commits)
    with django_capture_on_commit_callbacks(execute=True):
        response = viewer.post("/simulate", {"version": new.id, "baseline": old.id})

    # Then the answer is 202 with the job to poll, in the body and the Location header
    assert response.status_code == 202
    job = response.json()
    assert job["state"] == "pending" and job["result"] is None
    assert response["Location"] == job["url"] == f"{API}/simulations/{job['id']}"
    # And polling it finds it done, with the body a cached request gets at once
    done = poll(viewer, job["url"])
    assert done.status_code == 200
    assert done.json()["state"] == "done" and done.json()["error"] is None
    expected = simulation_compare(version=new, baseline=old)
    assert done.json()["result"] == expected
    assert set(expected) == {"total", "regions", "baseline", "delta"}
    # And now the same request is answered at once, with that same body
    again = viewer.post("/simulate", {"version": new.id, "baseline": old.id})
    assert again.status_code == 200 and again.json() == expected


def test_get_simulation__before_a_worker_took_it__pending(
        as_role: AsRole, django_capture_on_commit_callbacks: Capture) -> None:
    version = original_version()
    viewer = as_role("viewer")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        job = viewer.post("/simulate", {"version": version.id}).json()

    response = poll(viewer, job["url"])

    assert len(enqueued) == 1
    assert response.status_code == 200
    assert response.json()["state"] == "pending" and response.json()["result"] is None
    assert not SimulationRun.objects.exists()


def test_post_simulate__identical_requests_while_pending__share_one_job(
        as_role: AsRole, django_capture_on_commit_callbacks: Capture) -> None:
    # Given a simulation asked for and not started yet
    version = original_version()
    body = {"version": version.id, "demand": {"items_per_order": 2.0, "seed": 3}}
    with django_capture_on_commit_callbacks(execute=False):
        first = as_role("viewer").post("/simulate", body).json()

    # When another person asks for exactly the same, and a third for another seed
    with django_capture_on_commit_callbacks(execute=False):
        second = as_role("operator").post("/simulate", body).json()
        other = as_role("operator").post(
            "/simulate", {**body, "demand": {"items_per_order": 2.0, "seed": 4}}).json()

    # Then the identical request got the same job, the different one its own
    assert second["id"] == first["id"] != other["id"]
    assert SimulationJob.objects.count() == 2


def test_post_simulate__cached__200_at_once_no_job(as_role: AsRole) -> None:
    # Given a simulation computed before (by anyone: a rollout, the CLI, a worker)
    version = original_version()
    expected = simulation_compare(version=version)

    # When it is asked for
    response = as_role("viewer").post("/simulate", {"version": version.id})

    # Then it is answered at once, without a job
    assert response.status_code == 200 and response.json() == answered(expected)
    assert not SimulationJob.objects.exists()


def test_get_simulation__failed_job__state_failed_with_why(
        as_role: AsRole, eager_celery: None,
        django_capture_on_commit_callbacks: Capture) -> None:
    # Given a job whose worker died three times (its message redelivered each time)
    version = original_version()
    viewer = as_role("viewer")
    with django_capture_on_commit_callbacks(execute=False):
        job = viewer.post("/simulate", {"version": version.id}).json()
    SimulationJob.objects.filter(id=job["id"]).update(state="running", attempts=3)

    # When the message is delivered once more
    from rollout.tasks import simulate_job

    assert simulate_job.delay(job["id"]).get() == "failed"

    # Then polling says it failed, and why
    body = poll(viewer, job["url"]).json()
    assert body["state"] == "failed" and body["result"] is None
    assert "the worker stopped 3 times" in body["error"]


def test_get_simulation__unknown_id__404(as_role: AsRole) -> None:
    response = as_role("viewer").get("/simulations/999999")

    assert response.status_code == 404 and "no simulation job 999999" in response.json()["detail"]


@pytest.mark.parametrize("job_id", ["0", "-1", str(2**63), "abc"])
def test_get_simulation__id_out_of_range__422_not_500(as_role: AsRole, job_id: str) -> None:
    assert as_role("viewer").get(f"/simulations/{job_id}").status_code == 422


def test_get_simulation__without_a_token__401(
        as_role: AsRole, django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        job = as_role("viewer").post("/simulate", {"version": original_version().id}).json()

    assert poll(ApiClient(None), job["url"]).status_code == 401


def test_get_simulation__done_without_baseline__result_is_the_200_body(
        as_role: AsRole, eager_celery: None,
        django_capture_on_commit_callbacks: Capture) -> None:
    # Given one version simulated by a worker for one viewer
    version = original_version()
    viewer = as_role("viewer")
    with django_capture_on_commit_callbacks(execute=True):
        job = viewer.post("/simulate", {"version": version.id}).json()

    # When it is polled, and when another viewer asks for it (now cached) and gets 200
    done = poll(viewer, job["url"]).json()
    at_once = as_role("operator").post("/simulate", {"version": version.id})

    # Then the job's result is exactly that 200 body
    assert at_once.status_code == 200
    assert done["state"] == "done" and done["result"] == at_once.json()
