"""The bare Django baseline of bench/api_load.py: bench/api_bare_views.py's one view under
minimal settings of its own.

    RRM_BENCH_ANSWERS=answers.json gunicorn bench.api_bare_app -w 2 -b 127.0.0.1:PORT

`settings.configure`: no installed apps, no middleware, no database, DEBUG off. So it measures
what Django itself costs per request under gunicorn (URL resolving, request and response
objects, the query string, `json.dumps`): the floor the issue's "bare Django JSON view" figure
describes. Everything the product adds on top (its middleware stack and apps, django-ninja, the
token check, the live state) is what the comparison is about; bench/api_bare_settings.py splits
that in two. Only for the benchmark: never deployed.
"""

from __future__ import annotations

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-bare-app-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF="bench.api_bare_views",
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_TZ=True,
    USE_I18N=False,
)

from django.core.wsgi import get_wsgi_application  # noqa: E402  # after settings.configure

application = get_wsgi_application()
