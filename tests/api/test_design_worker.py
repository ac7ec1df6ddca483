"""POST /designs on a real Celery worker, broker and PostgreSQL (issue 14): 202, then polling
GET /designs/{id} until a separate worker process has designed it, then saving it.

Runs only where the integration tests run (DATABASE_URL=postgres://..., CELERY_BROKER_URL set;
`.ci/run` sets both); skipped otherwise, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rollout.services.designs import region_design
from tests.api.helpers import API, ApiClient
from tests.factories import version_factory
from tests.integration import conftest as integration
from tests.integration.helpers import CeleryWorker, services_skip_reason, wait_for

SKIP_REASON = services_skip_reason()
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")]

AsRole = Callable[[str], ApiClient]
#: the real worker's fixture: a `celery worker --beat` process on the test database
worker = integration.worker
#: the east-coast design with a sweep of three takes well under a second; this bounds a broken run
JOB_SECONDS = 60.0


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
    url = response["Location"]

    def finished() -> Any:
        body = as_role("viewer").get(url.removeprefix(API)).json()
        return body if body["state"] in ("done", "failed") else None

    done = wait_for(finished, timeout=JOB_SECONDS, what="the design job to finish",
                    worker=worker)
    assert done["state"] == "done", done["error"]
    assert done["progress"] == 1.0
    expected = region_design(version=version, regions=2, contiguous=True).as_dict()
    assert done["result"]["regions"] == expected["regions"]
    assert [row["regions"] for row in done["result"]["sweep"]] == [1, 2, 3]
    assert "design_job.done" in worker.log()
    # And the design saves as a child version
    saved = editor.post(f"/designs/{done['id']}/save", {"message": "Two proposed regions"})
    assert saved.status_code == 201 and saved.json()["parent"] == version.id
