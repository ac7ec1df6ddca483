import os

from django.core.wsgi import get_wsgi_application

from regions_config.env import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regions_config.settings")
settings_or_exit("wsgi")
django_application = get_wsgi_application()

# Imported once Django is set up (the module reads models and settings).
from rollout.api.route_wsgi import RouteFastPath  # noqa: E402

# GET /api/v1/route for a Bearer token is answered before the middleware stack; everything
# else is Django's (see rollout/api/route_wsgi.py).
application = RouteFastPath(django_application)
