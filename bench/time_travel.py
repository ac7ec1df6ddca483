"""What was live at time T, at national scale: GET /active?at=T and GET /route?zone=Z&at=T.

    .venv/bin/python bench/time_travel.py [--changes 50] [--asks 40] [--seed 7]

In a throwaway RRM_VAR_DIR with SQLite (bench/api_inprocess.prepare: the 40,000-zone national
bundle, its 8 regions live, a token) plus a second version of it, `--changes` region rollbacks
move regions back and forth between the two (each its own transaction, storing its live state,
as every writer does), so the history holds fifty-odd activations. Then, in-process through
Django's test client (server time, no sockets), instants are picked at random in that history:

- GET /active?at=T: cold (the first ask of that instant's state in this process) and warm,
  budget under 20 ms;
- GET /route?zone=Z&at=T: cold and warm, budget under 50 ms.

"Cold" clears the process's kept past states before each ask (`forget_live_history`), so every
cold ask loads its state from the database. Writes bench/out/time_travel.json.
"""

from __future__ import annotations

import argparse
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
from bench.rollback import (
    distribution,
    header,
    ms,
    national_versions,
    print_table,
    verdict,
    write_json,
)

BUDGET_ACTIVE_S = 0.020
BUDGET_ROUTE_S = 0.050


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(changes: int, asks: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rrm-time-travel-") as work:
        setup = api_inprocess.prepare(api_inprocess.server_env(Path(work) / "var"))
        from django.test import Client

        from bench.route_freshness import Writer
        from rollout.models import Activation
        from rollout.services.live_history import forget_live_history

        token, zones = setup["token"], setup["zones"]
        writer = Writer(national_versions(2), list(setup["regions"]))
        for _ in range(changes):
            writer.change()
            time.sleep(0.002)  # distinct instants, as real changes are
        instants = list(Activation.objects.order_by("id").values_list("created_at", flat=True))
        pick = random.Random(seed)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

        def ask(path: str, params: dict[str, str]) -> None:
            response = client.get(f"/api/v1{path}", params)
            if response.status_code != 200:
                raise SystemExit(f"GET {path} {params}: {response.status_code} "
                                 f"{response.content[:300]!r}")

        ask("/active", {"at": instants[-1].isoformat()})  # URLs, ninja, the token: set up
        results: dict[str, list[float]] = {"active_cold": [], "active_warm": [],
                                           "route_cold": [], "route_warm": []}
        changed = instants[-changes:]  # every region live: any zone has a route then
        for _ in range(asks):
            at = {"at": pick.choice(changed).isoformat()}
            route = {"zone": pick.choice(zones), **at}
            for kind, path, params in (("active", "/active", at), ("route", "/route", route)):
                forget_live_history()
                results[f"{kind}_cold"].append(_timed(lambda p=path, q=params: ask(p, q)))
                results[f"{kind}_warm"].append(_timed(lambda p=path, q=params: ask(p, q)))
        history = Activation.objects.count()
        api_inprocess.close_connections()
    return {"zones": len(zones), "activations": history, "asks": asks,
            **{key: distribution(values) for key, values in results.items()},
            "active_cold_median_s": statistics.median(results["active_cold"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50, help="region rollbacks in history")
    parser.add_argument("--asks", type=int, default=40, help="random instants asked")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not 1 <= args.changes <= 1_000 or not 1 <= args.asks <= 1_000:
        parser.error("--changes 1..1000, --asks 1..1000")
    result = measure(args.changes, args.asks, args.seed)
    rows = [("live zones / activations in history", f"{result['zones']:,}",
             f"{result['activations']} activations")]
    for key, label, budget in (("active", "GET /active?at=T", BUDGET_ACTIVE_S),
                               ("route", "GET /route?zone=Z&at=T", BUDGET_ROUTE_S)):
        cold, warm = result[f"{key}_cold"], result[f"{key}_warm"]
        rows.append((f"{label}, cold: p50 / p99 ({args.asks})", ms(cold["p50_s"]),
                     f"p99 {ms(cold['p99_s'])}  < {budget * 1000:.0f} ms  "
                     f"{verdict(cold['p99_s'], budget)}"))
        rows.append((f"{label}, warm: p50 / p99", ms(warm["p50_s"]),
                     f"p99 {ms(warm['p99_s'])}"))
    print_table("What was live at T (SQLite, test client)", rows)
    write_json("time_travel.json", {**header(), **result, "budgets": [
        {"key": "active_at_cold_p99_s", "value": result["active_cold"]["p99_s"],
         "budget": BUDGET_ACTIVE_S,
         "status": verdict(result["active_cold"]["p99_s"], BUDGET_ACTIVE_S)},
        {"key": "route_at_cold_p99_s", "value": result["route_cold"]["p99_s"],
         "budget": BUDGET_ROUTE_S,
         "status": verdict(result["route_cold"]["p99_s"], BUDGET_ROUTE_S)}]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
