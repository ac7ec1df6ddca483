"""The Celery app: `celery -A regions_config worker --beat` (DESIGN section 10)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regions_config.settings")

app = Celery("regions_config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
