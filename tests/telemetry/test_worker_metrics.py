"""telemetry/worker_metrics.py: a worker's own /metrics (RRM_WORKER_METRICS_PORT)."""

from __future__ import annotations

import socket
import urllib.request

from rollout.telemetry.tasks import TASKS
from rollout.telemetry.worker_metrics import worker_metrics_serve
from tests.integration.soak import free_port


def test_worker_metrics_serve__free_port__task_counts_scrapable() -> None:
    # Given a task counted in this process (no multiprocess directory)
    TASKS.labels("rollout.advance", "success").inc()
    port = free_port()

    # When the worker serves its metrics
    server = worker_metrics_serve(port=port, addr="127.0.0.1")
    assert server is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            text = answer.read().decode()
    finally:
        server.shutdown()
        server.server_close()

    # Then a scrape shows the task counter
    assert 'rrm_celery_tasks_total{outcome="success",task="rollout.advance"}' in text


def test_worker_metrics_serve__port_taken__none_and_no_crash() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert worker_metrics_serve(port=taken.getsockname()[1], addr="127.0.0.1") is None
