"""A Celery worker's own /metrics (`RRM_WORKER_METRICS_PORT`), for workers on machines without
a web process to report their task metrics: Prometheus scrapes each worker directly.

Started once, in the worker's main process (Celery's worker_init signal, regions_config/
celery.py), on a daemon thread. The tasks run in the pool's child processes: with
PROMETHEUS_MULTIPROC_DIR set (before the worker starts) their counts are summed from the
directory; without it only the main process's own metrics would show, so a warning says so.
"""

from __future__ import annotations

import logging
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.registry import Collector

from rollout.telemetry.exposition import multiprocess_dir

logger = logging.getLogger(__name__)


def worker_metrics_serve(*, port: int, addr: str = "0.0.0.0") -> WSGIServer | None:
    """Serve this machine's worker metrics on `addr:port` (every path answers the text
    format); None when the port is taken (another worker of the machine serves it)."""
    registry: Collector = REGISTRY
    if multiprocess_dir():
        from prometheus_client import multiprocess

        collecting = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(collecting)
        registry = collecting
    else:
        logger.warning("worker.metrics_without_multiproc_dir port=%s: set "
                       "PROMETHEUS_MULTIPROC_DIR so the pool processes' task counts are "
                       "summed", port)
    try:
        server, _ = start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        logger.warning("worker.metrics_not_served port=%s error=%s", port, exc)
        return None
    logger.info("worker.metrics_served addr=%s port=%s", addr, port)
    return server
