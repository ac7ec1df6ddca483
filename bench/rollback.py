"""One-click rollback latency on PostgreSQL, with the national bundle (8 regions, 40,000 zones).

    .venv/bin/python bench/rollback.py [--runs 100] [--phases 4] [--database rrm_bench]

Needs DATABASE_URL naming a PostgreSQL server (skips with a message otherwise). Creates a
throwaway database (`rrm_bench`) on it with psql, migrates it, imports the national bundle twice
(bench/data/national, generated when missing; the second copy differs in a comment) and makes
every region live on the first. Each round then writes, directly, a running rollout of the
second version whose phases have activated all 8 regions (rows only: running the engine for each
round would take minutes and is not what is measured), and times `rollout_rollback` on it: the
one transaction that restores the 8 regions. One unmeasured warm-up round, then `--runs` rounds;
budget p99 < 100 ms. Writes bench/out/rollback.json and drops the database.

This module also holds the small PostgreSQL and Django set-up shared with bench/phase_latency.py
and bench/route_lookup.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `bench.*` importable from the repo root
    sys.path.insert(0, str(REPO))

from bench.common import django_setup  # noqa: E402  # after the import-path set-up

OUT = REPO / "bench" / "out"
BENCH_DATABASE = "rrm_bench"
PG_SCHEMES = ("postgres://", "postgresql://", "pgsql://")


# ---- shared set-up (also used by phase_latency.py and route_lookup.py) ----------------------


class Skipped(Exception):
    """The benchmark cannot run here; the message says why."""


def postgres_url() -> str:
    """DATABASE_URL when it names PostgreSQL; raises Skipped otherwise."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(PG_SCHEMES):
        raise Skipped("needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/DB "
                      f"(it is {'unset' if not url else 'not PostgreSQL'})")
    if shutil.which("psql") is None:
        raise Skipped("needs psql on PATH to create and drop the throwaway database")
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _psql(url: str, sql: str) -> None:
    maintenance = _with_database(url, "postgres").replace("pgsql://", "postgres://", 1)
    result = subprocess.run(["psql", maintenance, "-v", "ON_ERROR_STOP=1", "-qc", sql],
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise Skipped(f"psql failed ({sql}): {result.stderr.strip()}")


@contextmanager
def throwaway_database(url: str, name: str = BENCH_DATABASE) -> Iterator[str]:
    """Create database `name` next to the one in `url`; yield its URL; drop it afterwards."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unusable database name {name!r}")
    _psql(url, f"drop database if exists {name} with (force)")  # a crashed run's leftover
    _psql(url, f"create database {name}")
    try:
        yield _with_database(url, name)
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django never set up: nothing to close
            pass
        _psql(url, f"drop database if exists {name} with (force)")


def django_on(database_url: str, var_dir: Path) -> None:
    """Point the settings at `database_url`, set Django up and migrate (quietly)."""
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one INFO line per rollback would bury the table
    django_setup(DATABASE_URL=database_url, RRM_VAR_DIR=str(var_dir))
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def national_versions(count: int) -> list[Any]:
    """`count` stored versions of the national bundle; copies after the first differ only in a
    leading comment of regions.yaml (same network, same KPIs, distinct version ids)."""
    from bench.bundles import NATIONAL, ensure_bundle
    from rollout.domain.bundle import read_bundle_path
    from rollout.services.versions import version_create

    bundle_dir, _, _ = ensure_bundle("national", NATIONAL)
    files = read_bundle_path(bundle_dir)
    versions = []
    for number in range(count):
        variant = dict(files)
        if number:
            variant["regions.yaml"] = f"# bench variant {number}\n".encode() + files["regions.yaml"]
        result = version_create(files=variant, message=f"bench: national bundle #{number}")
        if not result.version.valid:
            raise SystemExit(f"the national bundle is not valid: {result.version.findings[:3]}")
        versions.append(result.version)
    return versions


def bench_people() -> dict[str, Any]:
    """planner (editor), approver, operator."""
    from django.contrib.auth.models import User

    from rollout.services.roles import Role, role_grant

    people = {}
    for name, role in (("planner", Role.EDITOR), ("approver", Role.APPROVER),
                       ("operator", Role.OPERATOR)):
        people[name], _ = User.objects.get_or_create(username=f"bench-{name}")
        role_grant(user=people[name], role=role)
    return people


def all_live(version: Any) -> list[str]:
    """Every region of `version` live on it (direct activations); returns the region codes."""
    from django.db import transaction

    from rollout.models import Activation
    from rollout.services.activations import activation_create

    regions = list(version.stats["region_codes"])
    with transaction.atomic():
        activation_create(regions=regions, version=version, kind=Activation.Kind.ACTIVATE,
                          actor=None, reason="bench baseline")
    return regions


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default method)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def distribution(values_s: list[float]) -> dict[str, float]:
    return {"n": len(values_s), "min_s": min(values_s), "p50_s": statistics.median(values_s),
            "p99_s": percentile(values_s, 99), "max_s": max(values_s),
            "mean_s": statistics.fmean(values_s)}


def header() -> dict[str, Any]:
    return {"when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "platform": platform.platform(),
                        "cpus": os.cpu_count() or 1,
                        "load_average_at_start": os.getloadavg()[0]}}


def ms(value_s: float | None) -> str:
    if value_s is None:
        return "-"
    return f"{value_s * 1e6:,.1f} µs" if value_s < 1e-4 else f"{value_s * 1000:,.2f} ms"


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    """rows: (figure, value, budget and verdict, or extra text)."""
    print(f"\n{title}\n{'-' * len(title)}")
    for label, value, extra in rows:
        print(f"  {label:<52} {value:>12}  {extra}".rstrip())


def verdict(value: float | None, budget: float) -> str:
    return "N/A" if value is None else ("PASS" if value < budget else "OVER")


def write_json(name: str, payload: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"\nwrote {path.relative_to(REPO)}")
    return path


def skip_or_run(main: Any) -> int:
    try:
        return int(main())
    except Skipped as exc:
        print(f"{Path(sys.argv[0]).name}: skipped: {exc}")
        return 0


# ---- the rollback benchmark -----------------------------------------------------------------

BUDGET_P99_S = 0.100


def _rollout_touching(version: Any, regions: list[str], people: dict[str, Any],
                      phases: int) -> Any:
    """A running rollout of `version` whose phases have activated `regions`, as rows."""
    from django.db import transaction
    from django.utils import timezone

    from rollout.domain.lifecycle import PhaseState, State
    from rollout.models import Activation, Phase, Rollout
    from rollout.services.activations import activation_create
    from rollout.services.live import latest_activations

    latest = latest_activations()
    now = timezone.now()
    size = -(-len(regions) // phases)
    chunks = [regions[i:i + size] for i in range(0, len(regions), size)]
    with transaction.atomic():
        rollout = Rollout.objects.create(
            version=version, state=State.RUNNING.value, created_by=people["planner"],
            approved_by=people["approver"], approved_at=now, plan_digest="bench",
            approved_digest="bench", started_at=now, next_step_at=now + timedelta(hours=1),
            baseline={code: latest[code].id if code in latest else None for code in regions})
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            phase = Phase.objects.create(
                rollout=rollout, index=index, regions=chunk, bake_minutes=60,
                state=(PhaseState.BAKING if last else PhaseState.PASSED).value,
                activated_at=now, bake_until=now + timedelta(hours=1),
                finished_at=None if last else now)
            activation_create(regions=chunk, version=version, kind=Activation.Kind.ACTIVATE,
                              actor=None, reason="bench", rollout=rollout, phase=phase)
    return rollout


def _rollback_once(rollout: Any, people: dict[str, Any], baseline_id: str) -> tuple[float, int]:
    """Time one rollback; check it restored every region; return (seconds, queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rollout.models import Activation
    from rollout.services.live import latest_activations
    from rollout.services.rollouts import rollout_rollback

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        rollout_rollback(rollout_id=rollout.id, actor=people["operator"], reason="bench")
        elapsed = time.perf_counter() - started
    restored = Activation.objects.filter(rollout=rollout, kind=Activation.Kind.ROLLBACK).count()
    live = {a.version_id for a in latest_activations().values()}
    if restored != len(rollout.baseline) or live != {baseline_id}:
        raise SystemExit(f"rollback of rollout {rollout.id} restored {restored} regions, "
                         f"live versions now {live}")
    return elapsed, len(queries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="measured rollbacks")
    parser.add_argument("--phases", type=int, default=4, help="phases the 8 regions span")
    parser.add_argument("--database", default=BENCH_DATABASE, help="throwaway database name")
    args = parser.parse_args(argv)
    url = postgres_url()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rrm-bench-") as var, \
            throwaway_database(url, args.database) as bench_url:
        django_on(bench_url, Path(var))
        print(f"database: {args.database} (throwaway, on {urlsplit(url).hostname})")
        setup_started = time.perf_counter()
        baseline, new = national_versions(2)
        regions = all_live(baseline)
        people = bench_people()
        setup_s = time.perf_counter() - setup_started
        times, queries = [], []
        for round_number in range(args.runs + 1):  # round 0 warms up and is not counted
            rollout = _rollout_touching(new, regions, people, args.phases)
            elapsed, count = _rollback_once(rollout, people, baseline.id)
            if round_number:
                times.append(elapsed)
                queries.append(count)
            else:
                warmup_s = elapsed
    stats = distribution(times)
    rows = [
        ("regions restored per rollback", f"{len(regions)}", f"{args.phases} phases"),
        ("queries per rollback", f"{statistics.median(queries):.0f}", ""),
        ("warm-up rollback (not counted)", ms(warmup_s), ""),
        (f"rollout_rollback p50 ({args.runs} runs)", ms(stats["p50_s"]), ""),
        (f"rollout_rollback p99 ({args.runs} runs)", ms(stats["p99_s"]),
         f"< {BUDGET_P99_S * 1000:.0f} ms  {verdict(stats['p99_s'], BUDGET_P99_S)}"),
        ("rollout_rollback max", ms(stats["max_s"]), ""),
    ]
    print_table("One-click rollback, national bundle, PostgreSQL", rows)
    print(f"\n(set-up: import + baseline {setup_s:.1f} s; whole run "
          f"{time.perf_counter() - started:.1f} s)")
    write_json("rollback.json", {
        **header(), "database": "postgresql", "regions": len(regions), "phases": args.phases,
        "runs": args.runs, "warmup_s": warmup_s, "rollback": stats,
        "queries_per_rollback": statistics.median(queries), "times_s": times,
        "budgets": [{"key": "rollback_p99_s", "value": stats["p99_s"], "budget": BUDGET_P99_S,
                     "unit": "s", "status": verdict(stats["p99_s"], BUDGET_P99_S)}]})
    return 0


if __name__ == "__main__":
    sys.exit(skip_or_run(main))
