"""The API's background jobs on a real Celery worker, broker and PostgreSQL: POST /simulate
(issue 12) and POST /designs (issue 14) answer 202, then polling the job's URL finds it done by
a separate worker process.

Runs only where the integration tests run (DATABASE_URL=postgres://..., CELERY_BROKER_URL set;
`.ci/run` sets both); skipped otherwise, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from rollout.services.designs import region_design
from rollout.services.simulations import simulation_compare
from tests.api.helpers import API, ApiClient
from tests.factories import version_factory
from tests.integration import conftest as integration
from tests.integration.helpers import CeleryWorker, services_skip_reason, wait_for
from tests.rollout_factories import original_version, rerouted_version

SKIP_REASON = services_skip_reason()
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")]

AsRole = Callable[[str], ApiClient]
#: the integration suite's fixture: a real `celery worker --beat` process on the test database
worker = integration.worker
#: the east-coast comparison, or design with a sweep of three, takes well under a second; this
#: only bounds a broken run
JOB_SECONDS = 60.0


def finished_job(client: ApiClient, url: str, worker: CeleryWorker, what: str) -> Any:
    """The job at `url` (a Location header) once it is done or failed, polled by `client`."""
    def finished() -> Any:
        body = client.get(url.removeprefix(API)).json()
        return body if body["state"] in ("done", "failed") else None

    return wait_for(finished, timeout=JOB_SECONDS, what=f"the {what} job to finish",
                    worker=worker)


def test_post_simulate__not_cached__a_real_worker_computes_it_and_poll_says_done(
        worker: CeleryWorker, as_role: AsRole, settings: Settings) -> None:
    # Given two versions never simulated, and nothing small enough to answer at once
    settings.RRM_SIMULATE_INLINE_ITEMS = 0
    new, old = rerouted_version(), original_version()
    viewer = as_role("viewer")

    # When a viewer asks for the comparison
    response = viewer.post("/simulate", {"version": new.id, "baseline": old.id})

    # Then it is a job, which the worker process takes and finishes
    assert response.status_code == 202
    done = finished_job(viewer, response["Location"], worker, "simulation")
    assert done["state"] == "done", done["error"]
    assert done["result"] == simulation_compare(version=new, baseline=old)
    assert "simulation_job.done" in worker.log()
    # And the same request is now answered at once from the cache the worker filled
    again = viewer.post("/simulate", {"version": new.id, "baseline": old.id})
    assert again.status_code == 200 and again.json() == done["result"]


def test_post_designs__a_real_worker_designs_it_poll_says_done_and_it_saves(
        worker: CeleryWorker, as_role: AsRole) -> None:
    # Given a version and an editor
    version = version_factory("east coast")
    editor = as_role("editor")

    # When the editor asks for two regions with a sweep
    response = editor.post("/designs", {"version": version.id, "regions": 2, "sweep": "1-3",
                                        "contiguous": True})

    # Then it is a job, which the worker process takes and finishes
    assert response.status_code == 202
    done = finished_job(as_role("viewer"), response["Location"], worker, "design")
    assert done["state"] == "done", done["error"]
    assert done["progress"] == 1.0
    expected = region_design(version=version, regions=2, contiguous=True).as_dict()
    assert done["result"]["regions"] == expected["regions"]
    assert [row["regions"] for row in done["result"]["sweep"]] == [1, 2, 3]
    assert "design_job.done" in worker.log()
    # And the design saves as a child version
    saved = editor.post(f"/designs/{done['id']}/save", {"message": "Two proposed regions"})
    assert saved.status_code == 201 and saved.json()["parent"] == version.id
