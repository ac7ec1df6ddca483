"""The in-process half of bench/api_load.py: the throwaway SQLite set-up, and the API's handlers
timed through Django's test client (server time without sockets or gunicorn), with a
per-layer breakdown of `GET /route` and cProfile on request.

Django is set up in this process against the same RRM_VAR_DIR the gunicorn servers use.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import django_setup
from bench.rollback import distribution

#: variables a developer's shell may set that must never reach the throwaway set-up
_DROPPED = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")


def server_env(var_dir: Path) -> dict[str, str]:
    """The environment of the servers and of this process: SQLite under `var_dir`, DEBUG off."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(RRM_VAR_DIR=str(var_dir), DEBUG="0", LOG_LEVEL="WARNING",
               DJANGO_SETTINGS_MODULE="regions_config.settings")
    var_dir.mkdir(parents=True, exist_ok=True)
    return env


def prepare(env: dict[str, str]) -> dict[str, Any]:
    """Migrate, collectstatic, import the national bundle, make its 8 regions live, create an
    operator token.

    Returns {"token", "zones" (every live zone, sorted), "version", "regions", "setup_s"}.
    """
    for key in _DROPPED:
        os.environ.pop(key, None)
    django_setup(**env)
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from bench.rollback import all_live, national_versions
    from rollout.services.live import live_state
    from rollout.services.roles import Role
    from rollout.services.tokens import token_create

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    # As scripts/run.py does before starting gunicorn (WhiteNoise serves from STATIC_ROOT).
    call_command("collectstatic", verbosity=0, interactive=False)
    [version] = national_versions(1)
    regions = all_live(version)  # one transaction, rollout.services.activations.activation_create
    user = User.objects.create(username="bench-api")
    _, token = token_create(user=user, role=Role.OPERATOR, name="bench api_load")
    zones = sorted(live_state().composite.zone_owner)
    return {"token": token, "zones": zones, "version": version.id, "regions": regions,
            "setup_s": time.perf_counter() - started}


def answers_for(zones: list[str]) -> dict[str, Any]:
    """The product's own answers (route_lookup) for `zones`: what the bare app serves."""
    from rollout.services.route_index import route_lookup

    return {zone: route_lookup(zone=zone) for zone in zones}


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


def _client(token: str) -> Any:
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _times(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def post_route(token: str, batches: list[list[str]], runs: int) -> dict[str, Any]:
    """POST /route with each batch: the first call per batch (its zones never looked up in this
    process; their answers were computed with the route index) and `runs` warm calls rotating
    over the batches."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(token)
    bodies = [json.dumps({"zones": batch}) for batch in batches]

    def post(body: str) -> Any:
        response = client.post("/api/v1/route", body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"POST /route: {response.status_code} {response.content[:300]!r}")
        return response

    cold = []
    for body in bodies:
        started = time.perf_counter()
        post(body)
        cold.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        response = post(bodies[0])
    payload = json.loads(response.content)
    counter = iter(range(10**9))
    warm = _times(lambda: post(bodies[next(counter) % len(bodies)]), runs)
    return {"zones_per_request": len(batches[0]), "batches": len(batches),
            "cold": distribution(cold), "warm": distribution(warm),
            "queries_per_request": len(queries), "response_bytes": len(response.content),
            "routes": len(payload["routes"]), "not_live": len(payload["not_live"])}


def post_route_breakdown(token: str, batch: list[str], runs: int) -> dict[str, float]:
    """Where a warm 1,000-zone POST goes, each piece alone, median seconds."""
    from rollout.api.schemas import RoutesIn
    from rollout.services.live import live_state
    from rollout.services.route_index import route_lookup

    body = json.dumps({"zones": batch})
    state = live_state()
    found = [route_lookup(zone=zone) for zone in batch]
    pieces: dict[str, Callable[[], Any]] = {
        "parse_and_validate_body": lambda: RoutesIn.model_validate_json(body),
        "route_lookup_x_n": lambda: [route_lookup(zone=zone) for zone in batch],
        "live_state_x_n": lambda: [live_state() for _ in batch],
        "state_route_x_n": lambda: [state.route(zone) for zone in batch],
        "json_dumps_response": lambda: json.dumps({"routes": found, "not_live": []}),
    }
    return {name: distribution(_times(fn, runs))["p50_s"] for name, fn in pieces.items()}


def not_modified(token: str, runs: int) -> dict[str, Any]:
    """GET /active with the current ETag as If-None-Match, through the test client."""
    client = _client(token)
    etag = client.get("/api/v1/active")["ETag"]

    def get() -> None:
        response = client.get("/api/v1/active", HTTP_IF_NONE_MATCH=etag)
        if response.status_code != 304:
            raise SystemExit(f"GET /active with If-None-Match: {response.status_code}")

    get()
    return {"etag": etag, **distribution(_times(get, runs))}


def profile_get_route(token: str, zones: list[str], runs: int, out: Path) -> str:
    """cProfile of `runs` test-client GET /route calls; the top of the table by own time."""
    client = _client(token)
    pick = random.Random(5)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get("/api/v1/route", {"zone": pick.choice(zones)})
    profiler.disable()
    profiler.dump_stats(out)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(25)
    return text.getvalue()
