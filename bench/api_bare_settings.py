"""The second baseline of bench/api_load.py: the project's own settings (its middleware stack,
installed apps, SQLite database, caches, logging) with bench/api_bare_views.py as the whole
URLconf, so /api/v1/route is the bare view without django-ninja, the token check or the live
state. Between the bare app and the product, it tells the project's settings' share of the cost
from the API layer's.

    DJANGO_SETTINGS_MODULE=bench.api_bare_settings RRM_BENCH_ANSWERS=answers.json \
        gunicorn regions_config.wsgi:django_application -w 2 -b 127.0.0.1:PORT
"""

from regions_config.settings import *  # noqa: F403  # the project's settings, unchanged

ROOT_URLCONF = "bench.api_bare_views"
