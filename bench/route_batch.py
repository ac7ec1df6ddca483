"""The live route index on the national bundle: its build, and POST /route over zones never asked.

    .venv/bin/python bench/route_batch.py [--batches 10] [--runs 200] [--seed 7]

In a throwaway SQLite set-up (bench/api_inprocess.prepare: the 40,000-zone national bundle,
its 8 regions live, a token), in-process through Django's test client (server time, no sockets):

- index build: every live zone's answer computed in one batch (`route_index.route_answers` over
  the composite state, which is composed first and timed apart), median of 3;
- POST /route with 1,000 zones none of which was looked up before in this process (distinct
  random batches, each posted once right after the index was built): budget < 5 ms of CPU
  (wall times are printed too; on a shared machine they include waiting for a core);
- warm POST /route (the same batches again) and warm GET /route, and `route_lookup` alone.

Writes bench/out/route_batch.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.*` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import api_inprocess  # after the import-path set-up above
from bench.rollback import distribution, header, ms, print_table, verdict, write_json

BATCH_ZONES = 1_000
BUDGET_POST_S = 0.005
BUILDS = 3


def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def _cpu(fn: Any) -> tuple[float, float]:
    """(wall, CPU) seconds of one call: on a shared machine the wall time also holds the time
    this process waited for a core, so both are kept."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(batches: int, runs: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rrm-route-batch-") as work:
        setup = api_inprocess.prepare(api_inprocess.server_env(Path(work) / "var"))
        from django.test import Client  # Django is set up by `prepare`

        from rollout.services import route_index
        from rollout.services.live import live_state

        token, zones = setup["token"], setup["zones"]
        state = live_state()
        compose_s, composite = _timed(lambda: state.composite)
        builds = [_cpu(lambda: route_index.route_answers(composite)) for _ in range(BUILDS)]

        shuffled = random.Random(seed).sample(zones, len(zones))
        bodies = [json.dumps({"zones": shuffled[i * BATCH_ZONES: (i + 1) * BATCH_ZONES]})
                  for i in range(batches)]
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

        def post(body: str) -> None:
            response = client.post("/api/v1/route", body, content_type="application/json")
            if response.status_code != 200 or json.loads(response.content)["not_live"]:
                raise SystemExit(f"POST /route: {response.status_code} {response.content[:200]!r}")

        route_index._route_index = None  # a fresh index, as after an activation
        first_lookup_s, _ = _timed(lambda: route_index.route_lookup(zones[0]))
        post(json.dumps({"zones": [zones[0]]}))  # the first request sets up URLs, ninja, ...
        cold = [_cpu(lambda body=body: post(body)) for body in bodies]
        warm = [_cpu(lambda i=i: post(bodies[i % len(bodies)]))
                for i in range(runs)]
        pick = random.Random(seed + 1)
        gets = [_timed(lambda: client.get("/api/v1/route", {"zone": pick.choice(zones)}))[0]
                for _ in range(runs * 10)]
        lookups = [_timed(lambda: route_index.route_lookup(pick.choice(zones)))[0]
                   for _ in range(runs * 50)]
        api_inprocess.close_connections()
    return {"zones": len(zones), "regions": len(setup["regions"]), "batch_zones": BATCH_ZONES,
            "compose_s": compose_s,
            "index_build_s": statistics.median(wall for wall, _ in builds),
            "index_build_cpu_s": statistics.median(cpu for _, cpu in builds),
            "first_lookup_after_activation_s": first_lookup_s,
            "post_never_asked": distribution([wall for wall, _ in cold]),
            "post_never_asked_cpu": distribution([cpu for _, cpu in cold]),
            "post_warm": distribution([wall for wall, _ in warm]),
            "post_warm_cpu": distribution([cpu for _, cpu in warm]),
            "get_warm": distribution(gets), "route_lookup_warm": distribution(lookups)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10, help="distinct batches of 1,000")
    parser.add_argument("--runs", type=int, default=200, help="warm POSTs (x10 GETs)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not 1 <= args.batches <= 40 or not 1 <= args.runs <= 10_000:
        parser.error("--batches 1..40 (40,000 zones), --runs 1..10000")
    result = measure(args.batches, args.runs, args.seed)
    cold, warm = result["post_never_asked"], result["post_warm"]
    cold_cpu, warm_cpu = result["post_never_asked_cpu"], result["post_warm_cpu"]
    budget = f"< {BUDGET_POST_S * 1000:.0f} ms"
    rows = [
        ("live zones / regions", f"{result['zones']:,}", f"{result['regions']} regions"),
        ("compose the live state (once, apart)", ms(result["compose_s"]), ""),
        (f"index build: every zone's answer (median of {BUILDS})", ms(result["index_build_s"]),
         f"CPU {ms(result['index_build_cpu_s'])}"),
        ("first route_lookup on a fresh index (builds it)",
         ms(result["first_lookup_after_activation_s"]), ""),
        (f"POST /route, {BATCH_ZONES:,} zones never asked: p50 ({cold['n']})", ms(cold["p50_s"]),
         f"CPU {ms(cold_cpu['p50_s'])}  {budget}  {verdict(cold_cpu['p50_s'], BUDGET_POST_S)}"),
        (f"POST /route, {BATCH_ZONES:,} zones never asked: max", ms(cold["max_s"]),
         f"CPU {ms(cold_cpu['max_s'])}"),
        (f"POST /route, {BATCH_ZONES:,} zones again: p50 ({warm['n']})", ms(warm["p50_s"]),
         f"CPU {ms(warm_cpu['p50_s'])}"),
        ("GET /route warm: p50 / p99", f"{ms(result['get_warm']['p50_s'])}",
         f"p99 {ms(result['get_warm']['p99_s'])}"),
        ("route_lookup warm: p50 / p99", f"{ms(result['route_lookup_warm']['p50_s'])}",
         f"p99 {ms(result['route_lookup_warm']['p99_s'])}"),
    ]
    print_table("live route index over the national bundle (SQLite, test client)", rows)
    write_json("route_batch.json", {
        **header(), "database": "sqlite", **result,
        "budgets": [{"key": "post_never_asked_cpu_p50_s", "value": cold_cpu["p50_s"],
                     "budget": BUDGET_POST_S, "unit": "s",
                     "status": verdict(cold_cpu["p50_s"], BUDGET_POST_S)}]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
