"""bench/api_load.py --lean: the project's settings with bench/api_lean_urls.py as URLconf."""

from regions_config.settings import *  # noqa: F403  # the project's settings, unchanged

ROOT_URLCONF = "bench.api_lean_urls"
