"""GET /route while the live state changes: how soon other processes answer from the new state,
and the latency under load while activations happen every few seconds.

    .venv/bin/python bench/route_freshness.py [--changes 10] [--seconds 20] [--every 3]

In a throwaway RRM_VAR_DIR with SQLite (bench/api_inprocess.prepare: the 40,000-zone national
bundle, its 8 regions live, an operator token) plus a second version of it, one gunicorn with 2
sync workers (DEBUG off) serves the API on 127.0.0.1. This process is the writer:

- freshness: `--changes` times, a region rollback moves one region to the other version (one
  transaction, committed when the service returns), then GET /route for a zone of that region is
  sent back to back until 20 answers in a row name the new version; measured from the commit to
  the first of those 20 (so both workers, which had served the old state, answer from the new
  one). Budget: within 300 ms (the workers look for a new activation every
  RRM_LIVE_STATE_CHECK_MS = 200 ms, then load the state its writer stored);
- churn: wrk (32 connections) on GET /route over a rotation of live zones for `--seconds`
  while a region is rolled back every `--every` seconds; p99 latency, budget under 25 ms.

Needs wrk (`apt-get install -y wrk`). Writes bench/out/route_freshness.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `bench.*` importable from the repo root
    sys.path.insert(0, str(REPO))

from bench import api_inprocess  # noqa: E402  # after the import-path set-up
from bench.api_servers import Server, servers, wrk, wrk_path  # noqa: E402
from bench.rollback import (  # noqa: E402
    distribution,
    header,
    ms,
    national_versions,
    print_table,
    verdict,
    write_json,
)

BUDGET_FRESH_S = 0.300
BUDGET_CHURN_P99_S = 0.025
IN_A_ROW = 20


class Writer:
    """Region rollbacks from this process, alternating each region between two versions."""

    def __init__(self, versions: list[Any], regions: list[str]) -> None:
        from django.contrib.auth.models import User

        from rollout.services.roles import Role, role_grant

        self.versions, self.regions = versions, regions
        self.operator, _ = User.objects.get_or_create(username="bench-writer")
        role_grant(user=self.operator, role=Role.OPERATOR)
        self.count = 0

    def change(self) -> tuple[str, str, float]:
        """Move the next region to its other version; (region, version id, commit time)."""
        from rollout.services.activations import region_rollback
        from rollout.services.live import latest_activations

        region = self.regions[self.count % len(self.regions)]
        current = latest_activations()[region].version_id
        target = next(v for v in self.versions if v.id != current)
        region_rollback(region=region, version=target, reason="bench churn", actor=self.operator)
        self.count += 1
        return region, target.id, time.perf_counter()


def freshness(server: Server, writer: Writer, token: str, zone_of: dict[str, str],
              changes: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    delays = []
    for _ in range(changes):
        region, version, committed = writer.change()
        zone, run, first_new = zone_of[region], 0, 0.0
        deadline = committed + 10.0
        while run < IN_A_ROW:
            status, _, body = server.get(f"/api/v1/route?zone={zone}", headers)
            now = time.perf_counter()
            if status == 200 and json.loads(body)["version"] == version:
                first_new = first_new or now
                run += 1
            else:
                run, first_new = 0, 0.0
            if now > deadline:
                raise SystemExit(f"zone {zone} still not on {version} 10 s after the commit")
        delays.append(first_new - committed)
        time.sleep(0.3)
    return delays


def churn(server: Server, writer: Writer, token: str, zones_file: Path, seconds: float,
          every: float) -> dict[str, Any]:
    stop = threading.Event()
    done: list[float] = []

    def keep_changing() -> None:
        from django.db import connection

        while not stop.wait(every):
            done.append(writer.change()[2])
        connection.close()

    thread = threading.Thread(target=keep_changing, daemon=True)
    thread.start()
    try:
        result = wrk(server.port, token=token, path="/api/v1/route", zones_file=zones_file,
                     seconds=seconds, server_pids=server.worker_pids())
    finally:
        stop.set()
        thread.join(timeout=30)
    result["changes"] = len(done)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10, help="measured region rollbacks")
    parser.add_argument("--seconds", type=float, default=20.0, help="wrk run under churn")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between changes")
    args = parser.parse_args(argv)
    if wrk_path() is None:
        print("route_freshness.py: skipped: wrk is not installed (apt-get install -y wrk)")
        return 0
    with tempfile.TemporaryDirectory(prefix="rrm-fresh-") as work_dir:
        work = Path(work_dir)
        env = api_inprocess.server_env(work / "var")
        setup = api_inprocess.prepare(env)
        token, zones = setup["token"], setup["zones"]
        versions = national_versions(2)
        writer = Writer(versions, list(setup["regions"]))
        from rollout.services.live import live_state

        owner = live_state().table.zone_owner
        zone_of = {region: next(z for z in zones if owner[z] == region)
                   for region in setup["regions"]}
        rotation = random.Random(7).sample(zones, 2_000)
        zones_file = work / "zones.txt"
        zones_file.write_text("\n".join(rotation) + "\n")
        api_inprocess.close_connections()
        product = Server("product", "regions_config.wsgi", env, work / "logs" / "product.log")
        with servers(product):
            product.start("/healthz")
            for zone in rotation[:200]:  # both workers have loaded the state and warmed up
                product.get(f"/api/v1/route?zone={zone}", {"Authorization": f"Bearer {token}"})
            delays = freshness(product, writer, token, zone_of, args.changes)
            quiet = wrk(product.port, token=token, path="/api/v1/route", zones_file=zones_file,
                        seconds=args.seconds, server_pids=product.worker_pids())
            busy = churn(product, writer, token, zones_file, args.seconds, args.every)
        api_inprocess.close_connections()
    fresh = distribution(delays)
    rows = [
        ("live zones / regions", f"{len(zones):,}", f"{len(setup['regions'])} regions"),
        (f"commit -> both workers answer the new state: p50 ({len(delays)})",
         ms(fresh["p50_s"]), ""),
        ("commit -> both workers answer the new state: max", ms(fresh["max_s"]),
         f"< {BUDGET_FRESH_S * 1000:.0f} ms  {verdict(fresh['max_s'], BUDGET_FRESH_S)}"),
        ("GET /route, no changes: req/s, p99", f"{quiet['rps']:,.0f}", ms(quiet["p99_s"])),
        (f"GET /route, a change every {args.every:g} s ({busy['changes']}): req/s",
         f"{busy['rps']:,.0f}", f"errors {busy['errors_total']}"),
        ("GET /route under churn: p99", ms(busy["p99_s"]),
         f"< {BUDGET_CHURN_P99_S * 1000:.0f} ms  {verdict(busy['p99_s'], BUDGET_CHURN_P99_S)}"),
        ("GET /route under churn: max", ms(busy["max_s"]), ""),
    ]
    print_table("GET /route while the live state changes (SQLite, gunicorn -w 2, wrk)", rows)
    write_json("route_freshness.json", {
        **header(), "database": "sqlite", "freshness": fresh, "delays_s": delays,
        "quiet": quiet, "churn": busy,
        "budgets": [
            {"key": "fresh_max_s", "value": fresh["max_s"], "budget": BUDGET_FRESH_S,
             "unit": "s", "status": verdict(fresh["max_s"], BUDGET_FRESH_S)},
            {"key": "churn_p99_s", "value": busy["p99_s"], "budget": BUDGET_CHURN_P99_S,
             "unit": "s", "status": verdict(busy["p99_s"], BUDGET_CHURN_P99_S)}]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
