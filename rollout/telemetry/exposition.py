"""The text a scrape of /metrics gets: this process's metrics, or with PROMETHEUS_MULTIPROC_DIR
set, every process's that writes into that directory (gunicorn's workers, Celery's pool
processes on the same machine), plus collectors computed at scrape time (the business metrics).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Metric, generate_latest
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def multiprocess_dir() -> str | None:
    """The multiprocess directory this process writes its metrics into, if any."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition_text(*, extra: Iterable[Collector]) -> bytes:
    """The Prometheus text format of the process (or processes) metrics and of `extra`."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Everything())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


class _Everything(Collector):
    """The default registry (this process's metrics, process and GC collectors) as one
    collector, so the extra collectors can join it without registering there for good."""

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()
