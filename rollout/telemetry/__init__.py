"""Telemetry that every entry point shares: HTTP and Celery task metrics (prometheus_client,
multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set), the /metrics exposition, and the
JSON log format. Imports nothing of the app (a contract in pyproject.toml), so the API, the
middleware and the worker can all use it."""

from prometheus_client import disable_created_metrics

# No `_created` series: they double a scrape's size and no dashboard here reads them.
disable_created_metrics()
