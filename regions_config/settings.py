"""Settings, every one read from the environment through `regions_config.env`.

Defaults are embedded and safe: SQLite and a file-system Celery broker under `var/`, DEBUG off.
Production sets DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis or RabbitMQ).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from kombu import Exchange, Queue

from regions_config.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_path,
    env_str,
    local_folders,
    make_folders,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("RRM_VAR_DIR", BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
# The embedded default key is only for a local run; a system check refuses it when DEBUG is off
# and RRM_ENV=production (see rollout.checks).
SECRET_KEY = env_str("SECRET_KEY", "insecure-local-only-region-rollout-manager-key")
RRM_ENV = env_str("RRM_ENV", "local")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # ninja in INSTALLED_APPS makes /api/v1/docs use its bundled Swagger UI, not a CDN
    "ninja",
    "axes",
    "csp",
    "rollout",
]

MIDDLEWARE = [
    # first: request ids, the logs' context and HTTP metrics cover everything below
    "rollout.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "rollout.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # last, as django-axes asks: it turns a lockout into the 429 page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "regions_config.urls"
WSGI_APPLICATION = "regions_config.wsgi.application"
ASGI_APPLICATION = "regions_config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rollout.web.context.navigation",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# Health checks: a connection kept across requests is tested before reuse, so a database restart
# costs a reconnect, not a 500 to the next request of each web process.
DATABASES = {"default": database_from_url(DATABASE_URL, conn_max_age=60,
                                         conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the Celery worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SESSION_COOKIE_HTTPONLY = True

# HTTPS (README "Production"): off by default, so a local run over plain HTTP works.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# How many reverse proxies stand in front of the app. With one or more, their X-Forwarded-Proto
# says whether the client used HTTPS, and X-Forwarded-For (counted from the right) gives the
# client's address for login throttling. 0: headers from clients are never trusted.
RRM_PROXY_COUNT = env_int("RRM_PROXY_COUNT", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if RRM_PROXY_COUNT > 0 else None

# Content-Security-Policy: the pages load only the app's own scripts, styles and images. Style
# attributes stay allowed (region colours and progress widths are values of the data); <style>
# elements, inline scripts and event-handler attributes are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Login throttling (django-axes, see rollout/web/login_throttle.py): after AXES_FAILURE_LIMIT
# failed logins for a user name, or from an address, logins from it are refused for the cool-off.
AUTHENTICATION_BACKENDS = [
    "rollout.web.login_throttle.ThrottledLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "rollout.web.login_throttle.AuditedAxesHandler"
AXES_FAILURE_LIMIT = env_int("RRM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("RRM_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the lockout: attempts during it do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "rollout.web.login_throttle.client_ip"
AXES_USERNAME_CALLABLE = "rollout.web.login_throttle.username_of"
AXES_LOCKOUT_CALLABLE = "rollout.web.login_throttle.lockout_response"
AXES_VERBOSE = False  # its start-up line would land in every command's output; we log lockouts

# Celery: the embedded default broker is kombu's file-system transport, so the run command needs
# no server; production points CELERY_BROKER_URL at Redis or RabbitMQ.
# (A host name, which this transport ignores, spares every command kombu's "No hostname" warning.)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost//")
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(_BROKER_DIR),
        "data_folder_out": str(_BROKER_DIR),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {}
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every entry point loads these settings, so this is where the folders they point at are made.
make_folders(local_folders(database=DATABASES["default"],
                           broker_options=CELERY_BROKER_TRANSPORT_OPTIONS,
                           beat_schedule=CELERY_BEAT_SCHEDULE_FILENAME))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The sweep re-enqueues rollouts whose next step is due: the bound on how late a phase can be
# when its scheduled message was lost.
RRM_SWEEP_SECONDS = env_int("RRM_SWEEP_SECONDS", 5)
# A step due further ahead than this gets no ETA message (a worker would hold it unacknowledged
# until then: RabbitMQ closes the channel after its consumer_timeout, 30 min by default, and the
# worker exits; Redis redelivers after its visibility_timeout, 1 h): the sweep enqueues it.
RRM_ETA_MAX_SECONDS = env_int("RRM_ETA_MAX_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "rollout-sweep": {"task": "rollout.sweep", "schedule": float(RRM_SWEEP_SECONDS)},
}
CELERY_IMPORTS = ("rollout.tasks",)
# Rollout steps have the `celery` queue to themselves: webhook deliveries (waiting on other
# systems) and simulation and design jobs (computing for up to minutes) have their own, so a
# slow receiver or a national design never delays a phase, a gate or an automatic rollback when
# they run on different workers (`-Q celery`, `-Q webhooks`, `-Q jobs`). A worker started
# without -Q consumes all three, so one worker alone still does everything.
CELERY_TASK_QUEUES = (
    Queue("celery", Exchange("celery"), routing_key="celery"),
    Queue("webhooks", Exchange("webhooks"), routing_key="webhooks"),
    Queue("jobs", Exchange("jobs"), routing_key="jobs"),
)
CELERY_TASK_ROUTES = {
    "rollout.deliver_webhook": {"queue": "webhooks"},
    "rollout.simulate_job": {"queue": "jobs"},
    "rollout.design_job_run": {"queue": "jobs"},
}
# Webhooks go to public addresses only; true also allows loopback, private and link-local ones
# (development and tests: a receiver on 127.0.0.1). Never on in production.
RRM_WEBHOOK_ALLOW_PRIVATE = env_bool("RRM_WEBHOOK_ALLOW_PRIVATE", False)
# One delivery attempt (connect, send, the answer's status line) must end within this: a slow
# receiver costs a webhook worker little, and a rollout nothing.
RRM_WEBHOOK_TIMEOUT_SECONDS = env_int("RRM_WEBHOOK_TIMEOUT_SECONDS", 5)

# API: write requests per token and minute (0 = unlimited), and how long a token's verdict
# is kept in a process (a revocation takes effect within that many seconds).
RRM_WRITE_RATE_PER_MINUTE = env_int("RRM_WRITE_RATE_PER_MINUTE", 60)
RRM_TOKEN_CACHE_SECONDS = env_int("RRM_TOKEN_CACHE_SECONDS", 5)
# POST /simulate computes at most this many items in the web process; more is a worker's job.
RRM_SIMULATE_INLINE_ITEMS = env_int("RRM_SIMULATE_INLINE_ITEMS", 500_000)
# How often a process asks the database whether the live state changed (ms).
RRM_LIVE_STATE_CHECK_MS = env_int("RRM_LIVE_STATE_CHECK_MS", 200)

# The live state mirrored to Git (rollout/services/git_mirror.py): a repository path (created
# if missing; empty: no mirror), the branch, an optional remote to push to (a path or any URL
# git accepts), the commits' author, and an optional signing key (an SSH private key file with
# format "ssh", or a GPG key id with format "openpgp"). The beat catches up every
# RRM_GIT_MIRROR_CATCH_UP_SECONDS after Git was unreachable.
RRM_GIT_MIRROR = env_str("RRM_GIT_MIRROR", "")
RRM_GIT_MIRROR_BRANCH = env_str("RRM_GIT_MIRROR_BRANCH", "live")
RRM_GIT_MIRROR_REMOTE = env_str("RRM_GIT_MIRROR_REMOTE", "")
RRM_GIT_MIRROR_AUTHOR = env_str("RRM_GIT_MIRROR_AUTHOR",
                                "Region rollout manager <rollout-manager@localhost>")
RRM_GIT_MIRROR_SIGNING_KEY = env_str("RRM_GIT_MIRROR_SIGNING_KEY", "")
RRM_GIT_MIRROR_SIGNING_FORMAT = env_str("RRM_GIT_MIRROR_SIGNING_FORMAT", "ssh")
RRM_GIT_MIRROR_CATCH_UP_SECONDS = env_int("RRM_GIT_MIRROR_CATCH_UP_SECONDS", 60)
# Bundles imported from Git by a signed-in editor (the API and the upload page) may only come
# from repositories starting with one of these (comma-separated; e.g.
# "https://github.com/acme/,/srv/git/"): the server fetches them, so not from just anywhere.
# `manage.py import_config --git`, run by whoever administers the machine, may use any.
RRM_GIT_IMPORT_ALLOWED = env_list("RRM_GIT_IMPORT_ALLOWED", [])
if RRM_GIT_MIRROR:
    CELERY_BEAT_SCHEDULE["git-mirror-catch-up"] = {
        "task": "rollout.git_mirror_sync", "schedule": float(RRM_GIT_MIRROR_CATCH_UP_SECONDS)}
CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith("redis")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Bundle limits: a file over this size is refused with a finding, never parsed.
RRM_MAX_FILE_BYTES = env_int("RRM_MAX_FILE_BYTES", 50 * 1024 * 1024)
# A request body (the API's JSON, the version editor's form) must hold a file of that size: twice
# it, since JSON escapes take room too, plus 1 MiB for the rest. Larger bodies are refused (400;
# under /api/ as JSON). Uploaded files do not count here: the upload form reads them in parts.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * RRM_MAX_FILE_BYTES + 1024 * 1024
# A version's network is read whole wherever it is used: storing one with more zones or
# facilities than these is refused (E103; 0: no limit). National scale is ~42,000 ZIP5 zones.
RRM_MAX_ZONES = env_int("RRM_MAX_ZONES", 50_000)
RRM_MAX_FACILITIES = env_int("RRM_MAX_FACILITIES", 5_000)
# The in-process caches of parsed bundles, file listings and diffs hold at most this many MiB
# together (rollout.caches), least recently used dropped first.
RRM_CACHE_MB = env_int("RRM_CACHE_MB", 256)

# GET /metrics (Prometheus text format): behind a Bearer token of any role, or open to anyone
# who can reach it when true (a scraper inside a private network).
RRM_METRICS_PUBLIC = env_bool("RRM_METRICS_PUBLIC", False)

# Prometheus's base URL (e.g. http://prometheus:9090; empty: none), for KPIs read from
# monitoring (rollout/services/prometheus.py); one query must be answered within the timeout.
RRM_PROMETHEUS_URL = env_str("RRM_PROMETHEUS_URL", "")
RRM_PROMETHEUS_TIMEOUT_SECONDS = env_int("RRM_PROMETHEUS_TIMEOUT_SECONDS", 5)
# A YAML file of a query per KPI (`kpis: {in_region_pct: 'avg(x{region="$region"}) * 100'}`):
# with RRM_PROMETHEUS_URL set, gates on those KPIs read Prometheus (rollout/services/
# gate_sources.py); checked at start-up (rollout/checks.py).
RRM_PROMETHEUS_QUERIES = env_str("RRM_PROMETHEUS_QUERIES", "")
# A Celery worker serves its own /metrics on this port (all interfaces) when set: workers on
# machines without a web process (rollout/telemetry/worker_metrics.py). 0: off.
RRM_WORKER_METRICS_PORT = env_int("RRM_WORKER_METRICS_PORT", 0)

# Log lines: "text" (the default) or "json" (one JSON object per line with the request id,
# user, rollout and region where known: rollout/telemetry/logs.py).
RRM_LOG_FORMAT = env_choice("RRM_LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
                   "json": {"()": "rollout.telemetry.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "json" if RRM_LOG_FORMAT == "json" else "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; lockouts are logged (and audited) by the app
    "loggers": {"axes": {"level": "WARNING"}},
}
