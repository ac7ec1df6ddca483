"""The live routes on the national bundle: their build, their load, and POST /route over zones
never asked.

    .venv/bin/python bench/route_batch.py [--batches 10] [--runs 200] [--seed 7]

In a throwaway SQLite set-up (bench/api_inprocess.prepare: the 40,000-zone national bundle,
its 8 regions live, a token), in-process through Django's test client (server time, no sockets):

- the version's route table: every zone's answer computed in one batch (`live_table.route_table`,
  once per stored version; median of 3);
- publishing the live state (`live_state_publish`: the live table assembled from the version
  tables and stored, what a writer adds to its transaction), median of 3;
- loading the live state in a process that has the version table (what every other process
  does after an activation) and its first answer: budget < 50 ms;
- POST /route with 1,000 zones none of which was looked up before in this process (distinct
  random batches, each posted once right after the state was loaded): budget < 5 ms of CPU
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
BUDGET_LOAD_S = 0.050
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
        from django.db import transaction
        from django.test import Client

        from rollout.domain.live_table import route_table
        from rollout.models import Version
        from rollout.selectors import version_bundle
        from rollout.services import route_index
        from rollout.services.live import live_state, live_state_forget, live_state_publish

        token, zones = setup["token"], setup["zones"]
        version_id = next(iter(live_state().table.region_versions.values()))
        parsed = version_bundle(version=Version.objects.get(id=version_id))
        assert parsed is not None
        builds = [_cpu(lambda: route_table(parsed)) for _ in range(BUILDS)]

        def publish() -> None:
            with transaction.atomic():
                live_state_publish()

        publishes = [_cpu(publish) for _ in range(BUILDS)]

        def load_and_answer() -> None:
            live_state_forget()
            route_index.route_lookup(zone=zones[0])

        loads = [_cpu(load_and_answer) for _ in range(BUILDS)]
        shuffled = random.Random(seed).sample(zones, len(zones))
        bodies = [json.dumps({"zones": shuffled[i * BATCH_ZONES: (i + 1) * BATCH_ZONES]})
                  for i in range(batches)]
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

        answers: list[Any] = []

        def post(body: str) -> None:
            # The answer is checked after the timing (`checked`): reading 280 kB of JSON back
            # is the client's work, not the server's.
            answers.append(client.post("/api/v1/route", body, content_type="application/json"))

        def checked() -> None:
            for response in answers:
                if response.status_code != 200 or json.loads(response.content)["not_live"]:
                    raise SystemExit(
                        f"POST /route: {response.status_code} {response.content[:200]!r}")
            answers.clear()

        post(json.dumps({"zones": [zones[0]]}))  # the first request sets up URLs, ninja, ...
        checked()
        live_state_forget()  # as after an activation: loaded again, no zone asked yet
        route_index.route_lookup(zone=zones[0])
        cold = [_cpu(lambda body=body: post(body)) for body in bodies]
        checked()
        warm = [_cpu(lambda i=i: post(bodies[i % len(bodies)]))
                for i in range(runs)]
        checked()
        pick = random.Random(seed + 1)
        gets = [_timed(lambda: client.get("/api/v1/route", {"zone": pick.choice(zones)}))[0]
                for _ in range(runs * 10)]
        lookups = [_timed(lambda: route_index.route_lookup(zone=pick.choice(zones)))[0]
                   for _ in range(runs * 50)]
        api_inprocess.close_connections()
    return {"zones": len(zones), "regions": len(setup["regions"]), "batch_zones": BATCH_ZONES,
            "table_build_s": statistics.median(wall for wall, _ in builds),
            "table_build_cpu_s": statistics.median(cpu for _, cpu in builds),
            "publish_s": statistics.median(wall for wall, _ in publishes),
            "publish_cpu_s": statistics.median(cpu for _, cpu in publishes),
            "load_and_first_answer_s": statistics.median(wall for wall, _ in loads),
            "load_and_first_answer_cpu_s": statistics.median(cpu for _, cpu in loads),
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
        (f"route table of a version: every zone (median of {BUILDS})",
         ms(result["table_build_s"]), f"CPU {ms(result['table_build_cpu_s'])}  once a version"),
        (f"publish the live state (median of {BUILDS})", ms(result["publish_s"]),
         f"CPU {ms(result['publish_cpu_s'])}  in the writer's transaction"),
        ("load the live state + first answer (median)", ms(result["load_and_first_answer_s"]),
         f"CPU {ms(result['load_and_first_answer_cpu_s'])}  < {BUDGET_LOAD_S * 1000:.0f} ms  "
         f"{verdict(result['load_and_first_answer_s'], BUDGET_LOAD_S)}"),
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
    print_table("live routes over the national bundle (SQLite, test client)", rows)
    write_json("route_batch.json", {
        **header(), "database": "sqlite", **result,
        "budgets": [{"key": "post_never_asked_cpu_p50_s", "value": cold_cpu["p50_s"],
                     "budget": BUDGET_POST_S, "unit": "s",
                     "status": verdict(cold_cpu["p50_s"], BUDGET_POST_S)},
                    {"key": "load_and_first_answer_s",
                     "value": result["load_and_first_answer_s"], "budget": BUDGET_LOAD_S,
                     "unit": "s",
                     "status": verdict(result["load_and_first_answer_s"], BUDGET_LOAD_S)}]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
