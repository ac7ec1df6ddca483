"""Integration tests: real PostgreSQL, a real broker and a real Celery worker process.

They run only when DATABASE_URL names PostgreSQL and CELERY_BROKER_URL is set (`.ci/run` sets
both); otherwise every test here is skipped with the reason. The worker is a separate process,
so these tests use transactional databases (real commits) and point the worker at pytest-django's
test database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.helpers import (
    CeleryWorker,
    broker_purge,
    services_skip_reason,
    worker_database_url,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/integration/ is `integration`, and skipped without the services;
    a `soak` test is skipped too unless RRM_SOAK_ROLLOUTS says how many rollouts to run."""
    reason = services_skip_reason()
    soak = None if os.environ.get("RRM_SOAK_ROLLOUTS") else (
        "soak test: set RRM_SOAK_ROLLOUTS=N (N rollouts; `.ci/run` runs a bounded count)")
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.integration)
        why = reason or (soak if item.get_closest_marker("soak") else None)
        if why:
            item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Iterator[CeleryWorker]:
    """A real `celery -A regions_config worker --beat` on the test database, sweeping every 1 s.

    Depends on `transactional_db`, so it is stopped before pytest-django flushes the tables.
    The broker queue is purged first: messages from earlier runs must not reach this worker.
    """
    broker_url = os.environ["CELERY_BROKER_URL"]
    broker_purge(broker_url)
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    process = CeleryWorker(
        env={
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "RRM_SWEEP_SECONDS": "1",
            "RRM_VAR_DIR": str(var_dir),
        },
        log_dir=tmp_path,
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()
