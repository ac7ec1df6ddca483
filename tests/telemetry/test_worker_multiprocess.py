"""A real prefork Celery worker (two pool processes) serving its own /metrics
(RRM_WORKER_METRICS_PORT) in multiprocess mode: the tasks run in the pool's children, and the
scrape of the main process sums their counts from PROMETHEUS_MULTIPROC_DIR. A throwaway
file-system broker and SQLite database; slow (~15 s)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.integration.helpers import REPO, celery_worker_running, wait_for
from tests.integration.soak import free_port
from tests.metrics_scrape import Scrape

pytestmark = pytest.mark.slow

TASKS = 6


def scrape(port: int) -> Scrape | None:
    url = f"http://127.0.0.1:{port}/metrics"
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as answer:
        return Scrape(answer.read().decode())
    return None


def test_worker_metrics__prefork_pool__scrape_sums_the_children_task_counts(
        tmp_path: Path) -> None:
    # Given a prefork worker of two processes with a multiprocess directory and its own port
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "RRM_LOG_FORMAT")}
    env.update(RRM_VAR_DIR=str(tmp_path / "var"), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
               RRM_WORKER_METRICS_PORT=str(port), PYTHONUNBUFFERED="1",
               DJANGO_SETTINGS_MODULE="regions_config.settings")
    log_path = tmp_path / "worker.log"
    with celery_worker_running(["--pool=prefork", "--concurrency=2", "-Q", "celery",
                                "--loglevel=INFO"], env=env, log_path=log_path) as worker:
        # When six tasks are sent to it (the sweep: harmless on an empty database)
        send = "from regions_config.celery import app\n" + \
               f"for _ in range({TASKS}): app.send_task('rollout.sweep')\n"
        subprocess.run([sys.executable, "-c", send], cwd=REPO, env=env, check=True,
                       timeout=60)

        # Then a scrape of the worker's port counts all six, run by its pool's children
        labels = {"task": "rollout.sweep", "outcome": "success"}

        def counted() -> Scrape | None:
            found = scrape(port)
            return found if found and found.value("rrm_celery_tasks_total", **labels) == TASKS \
                else None

        found = wait_for(counted, timeout=60, what=f"{TASKS} sweeps counted at :{port}\n"
                                                   + log_path.read_text(errors="replace")[-3000:])
        assert found.value("rrm_celery_tasks_total", **labels) == TASKS
        # counted by the pool's processes, not the main one: their files are in the directory
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        files = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}
        assert set(children) & files
