"""Live route lookups over the national bundle's composite state, on PostgreSQL.

    .venv/bin/python bench/route_lookup.py [--lookups 10000] [--seed 7] [--database rrm_bench]

Needs DATABASE_URL naming a PostgreSQL server (skips with a message otherwise). In a throwaway
database (created and dropped with psql): the national bundle (40,000 zones, 8 regions) imported
once and all 8 regions made live on it. Then `rollout.services.route_index.route_lookup(zone)`:

- cold: the version's bundle parsed from the database, the composite state composed
  (`live_state`), and the route index built by the first lookup (every live zone's answer, in
  one batch), each timed;
- rebuild: the same after a new activation (bundle cached, composite and index rebuilt), the
  cost the first lookup after every activation pays (median of 3);
- warm: 10,000 random live zones (seeded), each lookup timed on its own. Pass 1 is each zone's
  first lookup on the built index (its answer was computed with the index); pass 2 repeats the
  same zones. `live_state` asks the database whether a new activation exists at most every
  RRM_LIVE_STATE_CHECK_MS. Budget: p99 < 1 ms per lookup once warm.

Writes bench/out/route_lookup.json.
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

from bench.rollback import (  # after the import-path set-up above
    BENCH_DATABASE,
    all_live,
    distribution,
    django_on,
    header,
    ms,
    national_versions,
    postgres_url,
    print_table,
    skip_or_run,
    throwaway_database,
    verdict,
    write_json,
)

BUDGET_LOOKUP_S = 0.001
REBUILDS = 3


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - started, value


def _lookups(zones: list[str]) -> list[float]:
    from rollout.services.route_index import route_lookup

    times = []
    for zone in zones:
        started = time.perf_counter()
        answer = route_lookup(zone=zone)
        times.append(time.perf_counter() - started)
        if answer is None or not answer["fcs"]:
            raise SystemExit(f"zone {zone} has no live route: {answer}")
    return times


def measure(lookups: int, seed: int) -> dict[str, Any]:
    from django.db import transaction

    from rollout.models import Activation
    from rollout.selectors import version_bundle
    from rollout.services.activations import activation_create
    from rollout.services.live import live_state
    from rollout.services.route_index import route_lookup

    [version] = national_versions(1)
    regions = all_live(version)
    cold: dict[str, float] = {}
    cold["bundle_parse_s"], _ = _timed(lambda: version_bundle(version=version))
    cold["live_state_s"], state = _timed(live_state)
    zones = sorted(state.composite.zone_owner)
    cold["index_build_and_first_lookup_s"], _ = _timed(route_lookup, zones[0])
    cold["total_s"] = sum(cold.values())

    rebuilds = []
    for number in range(REBUILDS):
        with transaction.atomic():  # a new activation: the cached state is stale now
            activation_create(regions=[regions[number % len(regions)]], version=version,
                              kind=Activation.Kind.ACTIVATE, actor=None, reason="bench rebuild")
        elapsed, _ = _timed(route_lookup, zones[0])
        rebuilds.append(elapsed)

    sample = random.Random(seed).sample(zones, min(lookups, len(zones)))
    first = _lookups(sample)
    repeat = _lookups(sample)
    state = live_state()  # the in-memory part alone, for comparison
    in_memory = []
    for zone in sample:
        started = time.perf_counter()
        state.route(zone)
        in_memory.append(time.perf_counter() - started)
    return {"zones": len(zones), "regions": len(regions), "cold": cold,
            "rebuild_after_activation_s": statistics.median(rebuilds),
            "rebuilds_s": rebuilds, "lookups": len(sample), "seed": seed,
            "warm_first": distribution(first), "warm_repeat": distribution(repeat),
            "index_only_repeat": distribution(in_memory)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=10_000, help="random zones looked up")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default=BENCH_DATABASE, help="throwaway database name")
    args = parser.parse_args(argv)
    url = postgres_url()
    with tempfile.TemporaryDirectory(prefix="rrm-bench-") as var, \
            throwaway_database(url, args.database) as bench_url:
        django_on(bench_url, Path(var))
        result = measure(args.lookups, args.seed)
    cold, first, repeat = result["cold"], result["warm_first"], result["warm_repeat"]
    n = result["lookups"]
    budget = f"< {BUDGET_LOOKUP_S * 1000:.0f} ms"
    rows = [
        ("live zones / regions", f"{result['zones']:,}", f"{result['regions']} regions"),
        ("cold: parse the version's bundle", ms(cold["bundle_parse_s"]), ""),
        ("cold: compose the live state (live_state)", ms(cold["live_state_s"]), ""),
        ("cold: build the route index + first lookup", ms(cold["index_build_and_first_lookup_s"]),
         ""),
        ("cold: total", ms(cold["total_s"]), ""),
        (f"rebuild after a new activation (median of {REBUILDS})",
         ms(result["rebuild_after_activation_s"]), ""),
        (f"warm index, first lookup of a zone: p50 ({n:,})", ms(first["p50_s"]), ""),
        (f"warm index, first lookup of a zone: p99 ({n:,})", ms(first["p99_s"]),
         f"{budget}  {verdict(first['p99_s'], BUDGET_LOOKUP_S)}"),
        ("warm index, first lookup of a zone: max", ms(first["max_s"]), ""),
        (f"warm, same zones again: p50 ({n:,})", ms(repeat["p50_s"]), ""),
        (f"warm, same zones again: p99 ({n:,})", ms(repeat["p99_s"]),
         f"{budget}  {verdict(repeat['p99_s'], BUDGET_LOOKUP_S)}"),
        ("  of which in memory (index.lookup): p99", ms(result["index_only_repeat"]["p99_s"]),
         "the rest is live_state's one query"),
    ]
    print_table("route_lookup over the national composite (PostgreSQL)", rows)
    write_json("route_lookup.json", {
        **header(), "database": "postgresql", **result,
        "budgets": [{"key": key, "value": stats["p99_s"], "budget": BUDGET_LOOKUP_S, "unit": "s",
                     "status": verdict(stats["p99_s"], BUDGET_LOOKUP_S)}
                    for key, stats in (("lookup_first_p99_s", first),
                                       ("lookup_repeat_p99_s", repeat))]})
    return 0


if __name__ == "__main__":
    sys.exit(skip_or_run(main))
