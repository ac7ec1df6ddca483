"""Phase-to-phase latency of the rollout engine: a real Celery worker and beat, on PostgreSQL.

    .venv/bin/python bench/phase_latency.py [--rollouts 2] [--bake-seconds 2]
                                            [--sweep-seconds N] [--database rrm_bench]

Needs DATABASE_URL naming PostgreSQL and CELERY_BROKER_URL naming a real broker (Redis or
RabbitMQ); skips with a message otherwise. In a throwaway database (created and dropped with
psql): the national bundle imported twice (the copies differ in a comment), all 8 regions live
on the first. Each rollout goes through the services (create, four-eyes approval, start) with 8
one-region phases, a short bake and an in-region gate, and alternates between the two versions;
only the worker moves it on. Measured per phase boundary, from the database's own timestamps:
delay = next phase's `activated_at` - this phase's `bake_until`.

- scheduled: the worker runs `celery -A regions_config worker --beat` as shipped: the ETA message
  sent at activation wakes it at the end of the bake. Budget: median < 2 s.
- lost: every scheduled (ETA) message is lost, so only the beat's sweep can notice that a bake
  ended (bake times are spread over one sweep interval, so bake ends fall all over the sweep
  cycle). The worker process replaces `rollout_advance_schedule` in the engine with a version
  that drops calls with an `eta` (immediate messages still go out). Purging the queue after each
  activation would not do: Redis hands ETA messages to the worker at once, where they wait
  unacknowledged, out of a purge's reach. Budget: every bake end is noticed (gates evaluated)
  within one sweep interval; the next phase goes live right after.

The sweep interval is the settings' default (RRM_SWEEP_SECONDS, 5 s) unless --sweep-seconds is
given. Writes bench/out/phase_latency.json.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.*` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rollback import (  # after the import-path set-up above
    BENCH_DATABASE,
    REPO,
    Skipped,
    all_live,
    bench_people,
    distribution,
    django_on,
    header,
    national_versions,
    postgres_url,
    print_table,
    skip_or_run,
    throwaway_database,
    verdict,
    write_json,
)

BUDGET_MEDIAN_S = 2.0
WORKER_ARGS = ["worker", "--beat", "--pool=solo", "--concurrency=1", "-Q", "celery",
               "--loglevel=INFO"]
#: The worker of the "lost" mode: the engine's timed wake-ups never reach the broker.
DROP_ETA_WORKER = """
import sys
import django
django.setup()
from rollout.services import engine
from rollout.services.timeline import rollout_advance_schedule

def rollout_advance_schedule_losing_eta(*, rollout_id, eta=None):
    if eta is None:
        rollout_advance_schedule(rollout_id=rollout_id)

engine.rollout_advance_schedule = rollout_advance_schedule_losing_eta
from celery.bin.celery import main
sys.argv = ["celery", *sys.argv[1:]]
sys.exit(main())
"""


def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url or url.startswith(("filesystem://", "memory://")):
        raise Skipped("needs a real broker: set CELERY_BROKER_URL=redis://... or amqp://... "
                      f"(it is {url or 'unset'})")
    return url


class Worker:
    """A worker + beat process group on the bench database; its output goes to a log file."""

    def __init__(self, mode: str, env: dict[str, str], log: Path) -> None:
        code = ["-c", DROP_ETA_WORKER] if mode == "lost" else ["-m", "celery"]
        self.argv = [sys.executable, *code, "-A", "regions_config", *WORKER_ARGS,
                     "--hostname", f"rrm-bench-{mode}-{os.getpid()}@%h"]
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Worker:
        _purge()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(self.argv, cwd=REPO, env=self.env,
                                            stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        _wait(lambda: " ready." in self.log.read_text(errors="replace"), 60, "worker ready", self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=wait)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def _purge() -> None:
    """Empty the queue (and Redis's unacknowledged set): old messages must not reach us."""
    from regions_config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=3)
        app.control.purge(connection=conn)
    url = os.environ["CELERY_BROKER_URL"]
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url)
        try:
            client.delete("unacked", "unacked_index", "unacked_mutex")
        finally:
            client.close()


def _wait(condition: Any, timeout: float, what: str, worker: Worker) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if worker.process is not None and worker.process.poll() is not None:
            raise SystemExit(f"the worker exited while waiting for {what}:\n{worker.tail()}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}:\n"
                             f"{worker.tail()}")
        time.sleep(0.2)


def _one_rollout(version: Any, regions: list[str], people: dict[str, Any],
                 bakes_s: list[float], sweep_s: float, worker: Worker) -> dict[str, Any]:
    """Run one 8-phase rollout to completion; its per-boundary delays, in seconds."""
    from rollout.domain.lifecycle import State
    from rollout.models import Rollout
    from rollout.services.rollouts import (
        GatePlan,
        PhasePlan,
        rollout_approve,
        rollout_create,
        rollout_start,
    )

    rollout = rollout_create(
        version=version, actor=people["planner"],
        phases=[PhasePlan(regions=[code], bake_minutes=bake / 60)
                for code, bake in zip(regions, bakes_s, strict=True)],
        gates=[GatePlan(kpi="in_region_pct", max_regression_pct=2.0)])
    rollout_approve(rollout_id=rollout.id, actor=people["approver"])
    rollout_start(rollout_id=rollout.id, actor=people["operator"])
    timeout = sum(bakes_s) + len(regions) * (2 * sweep_s + 5) + 60
    rollout = _wait(lambda: Rollout.objects.exclude(state=State.RUNNING).filter(
        id=rollout.id).first(), timeout, f"rollout {rollout.id} to finish", worker)
    if rollout.state != State.COMPLETED:
        raise SystemExit(f"rollout {rollout.id} ended {rollout.state}:\n{worker.tail()}")
    phases = list(rollout.phases.order_by("index"))
    boundaries = list(itertools.pairwise(phases))
    return {
        "rollout": rollout.id,
        "first_activation_s": (phases[0].activated_at - rollout.started_at).total_seconds(),
        "delays_s": [(b.activated_at - a.bake_until).total_seconds() for a, b in boundaries],
        "evaluated_after_s": [(a.finished_at - a.bake_until).total_seconds()
                              for a, _ in boundaries],
    }


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from django.conf import settings

    from rollout.services.kpis import simulation_run

    versions = national_versions(2)
    regions = all_live(versions[0])
    people = bench_people()
    for version in versions:  # cached in the database: the worker's first phase does not wait
        simulation_run(version=version)
    sweep_s = float(settings.RRM_SWEEP_SECONDS)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RRM_SWEEP_SECONDS": str(int(sweep_s))}
    modes: dict[str, Any] = {}
    turn = 0
    for mode in ("scheduled", "lost"):
        bakes = [args.bake_seconds] * len(regions)
        if mode == "lost":
            # A sweep-driven activation happens just after a beat tick, so equal bakes would
            # all end at the same point of the sweep cycle: spread the bake ends over it.
            bakes = [args.bake_seconds + (k % 7) * sweep_s / 7 for k in range(len(regions))]
        rollouts = []
        with Worker(mode, env, work / f"worker-{mode}.log") as worker:
            for _ in range(args.rollouts):
                turn += 1  # alternate between the two versions: each rollout changes all 8
                rollouts.append(_one_rollout(versions[turn % 2], regions, people, bakes,
                                             sweep_s, worker))
        delays = [d for r in rollouts for d in r["delays_s"]]
        evaluated = [d for r in rollouts for d in r["evaluated_after_s"]]
        modes[mode] = {"bakes_s": bakes, "rollouts": rollouts, "delay": distribution(delays),
                       "evaluated_after": distribution(evaluated)}
    return {"regions": len(regions), "phases_per_rollout": len(regions),
            "bake_s": args.bake_seconds, "sweep_s": sweep_s, "modes": modes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=2, help="8-phase rollouts per mode")
    parser.add_argument("--bake-seconds", type=float, default=2.0)
    parser.add_argument("--sweep-seconds", type=int, help="RRM_SWEEP_SECONDS (default: 5)")
    parser.add_argument("--database", default=BENCH_DATABASE, help="throwaway database name")
    args = parser.parse_args(argv)
    url = postgres_url()
    broker_url()
    if args.sweep_seconds:
        os.environ["RRM_SWEEP_SECONDS"] = str(args.sweep_seconds)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rrm-bench-") as var, \
            throwaway_database(url, args.database) as bench_url:
        django_on(bench_url, Path(var))
        result = measure(args, Path(var))
    sweep_s = result["sweep_s"]
    scheduled, lost = result["modes"]["scheduled"], result["modes"]["lost"]
    n_scheduled, n_lost = scheduled["delay"]["n"], lost["delay"]["n"]
    rows = [
        ("phases per rollout / bake", f"{result['phases_per_rollout']}",
         f"bake {result['bake_s']:g} s (+ 0..{sweep_s:g} s when lost), sweep every "
         f"{sweep_s:g} s"),
        (f"scheduled: bake end -> next phase live, median ({n_scheduled})",
         _s(scheduled["delay"]["p50_s"]),
         f"< {BUDGET_MEDIAN_S:g} s  {verdict(scheduled['delay']['p50_s'], BUDGET_MEDIAN_S)}"),
        ("scheduled: bake end -> next phase live, max", _s(scheduled["delay"]["max_s"]), ""),
        (f"lost ETA: bake end -> gates evaluated, max ({n_lost})",
         _s(lost["evaluated_after"]["max_s"]),
         f"< {sweep_s:g} s  {verdict(lost['evaluated_after']['max_s'], sweep_s)}"),
        ("lost ETA: bake end -> next phase live, median", _s(lost["delay"]["p50_s"]), ""),
        ("lost ETA: bake end -> next phase live, max", _s(lost["delay"]["max_s"]),
         "one sweep wait + the evaluate and activate steps"),
    ]
    print_table("Phase-to-phase latency, real worker + beat (national bundle, PostgreSQL)", rows)
    print(f"\n(whole run {time.perf_counter() - started:.0f} s)")
    write_json("phase_latency.json", {
        **header(), "database": "postgresql", "broker": os.environ["CELERY_BROKER_URL"].split(
            "://")[0], **result,
        "budgets": [
            {"key": "scheduled_delay_p50_s", "value": scheduled["delay"]["p50_s"],
             "budget": BUDGET_MEDIAN_S, "unit": "s",
             "status": verdict(scheduled["delay"]["p50_s"], BUDGET_MEDIAN_S)},
            {"key": "lost_eta_evaluated_after_max_s", "value": lost["evaluated_after"]["max_s"],
             "budget": sweep_s, "unit": "s",
             "status": verdict(lost["evaluated_after"]["max_s"], sweep_s)},
        ]})
    return 0


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f} s"


if __name__ == "__main__":
    sys.exit(skip_or_run(main))
