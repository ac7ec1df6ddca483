"""The Celery app: `celery -A regions_config worker --beat` (DESIGN section 10)."""

import os

from celery import Celery, signals
from django.conf import settings

from regions_config.env import settings_or_exit
from rollout.telemetry.tasks import tasks_connect
from rollout.telemetry.worker_metrics import worker_metrics_serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regions_config.settings")
settings_or_exit("celery")

app = Celery("regions_config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Task metrics (rrm_celery_tasks_total, rrm_celery_task_duration_seconds), counted where the
# tasks run; with PROMETHEUS_MULTIPROC_DIR set they reach the web tier's /metrics.
tasks_connect()


def _serve_worker_metrics(**_: object) -> None:
    """A worker on a machine of its own serves its metrics itself (RRM_WORKER_METRICS_PORT)."""
    worker_metrics_serve(port=settings.RRM_WORKER_METRICS_PORT)


if settings.RRM_WORKER_METRICS_PORT:
    signals.worker_init.connect(_serve_worker_metrics, weak=False)


def _django_logging(**_: object) -> None:
    """Receiving setup_logging tells Celery to leave logging alone: the worker logs through
    the settings' LOGGING (JSON lines) like every other process."""


if settings.RRM_LOG_FORMAT == "json":
    signals.setup_logging.connect(_django_logging, weak=False)
