"""gunicorn settings the app needs whatever the deployment:
`--config python:regions_config.gunicorn_conf` (scripts/run.py passes it; README "Metrics").

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics into a file of its own in
that directory, and /metrics sums them; when a worker exits, its live gauges are dropped
(`mark_process_dead`) while its counters stay in the sums. The directory must be emptied before
the server starts (scripts/run.py does): files of a previous run would be counted again.
"""

from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
