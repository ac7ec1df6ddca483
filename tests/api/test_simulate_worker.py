"""POST /simulate's background job on a real Celery worker, broker and PostgreSQL (issue 12):
202, then polling GET /simulations/{id} until a separate worker process has computed it.

Runs only where the integration tests run (DATABASE_URL=postgres://..., CELERY_BROKER_URL set;
`.ci/run` sets both); skipped otherwise, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from rollout.services.simulations import simulation_compare
from tests.api.helpers import API, ApiClient
from tests.integration import conftest as integration
from tests.integration.helpers import CeleryWorker, services_skip_reason, wait_for
from tests.rollout_factories import original_version, rerouted_version

SKIP_REASON = services_skip_reason()
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")]

AsRole = Callable[[str], ApiClient]
#: the integration suite's fixture: a real `celery worker --beat` process on the test database
worker = integration.worker
#: the east-coast comparison takes well under a second; this only bounds a broken run
JOB_SECONDS = 60.0


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
    url = response["Location"]

    def finished() -> Any:
        body = viewer.get(url.removeprefix(API)).json()
        return body if body["state"] in ("done", "failed") else None

    done = wait_for(finished, timeout=JOB_SECONDS, what="the simulation job to finish",
                    worker=worker)
    assert done["state"] == "done", done["error"]
    assert done["result"] == simulation_compare(version=new, baseline=old)
    assert "simulation_job.done" in worker.log()
    # And the same request is now answered at once from the cache the worker filled
    again = viewer.post("/simulate", {"version": new.id, "baseline": old.id})
    assert again.status_code == 200 and again.json() == done["result"]
