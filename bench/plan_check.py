"""The plan check and `rollout create` on the national bundle (40,000 zones, 8 regions).

    .venv/bin/python bench/plan_check.py [--runs 5] [--database rrm_bench_plan] [--profile]

Needs DATABASE_URL naming a PostgreSQL server (skips with a message otherwise). Creates a
throwaway database, imports the national bundle and a second version of it whose routing differs
(every explicit candidate list reversed, so routes really change), makes
every region live on the first, then times:

- `plan_check` in-process for a two-phase plan of the second version over all eight regions:
  a cold first call, then `--runs` in a process that knows the live state's findings (a
  planner's web process between activations; budget under 1 s), then `--runs` each as the
  first check of a new live state (the process forgot it, and no process stored its findings);
- `manage.py rollout create` as a whole command (a new process each time): `--runs` as the
  first process to check a new live state (no stored findings), then `--runs` when the live
  state's findings were stored by an earlier check (by the engine, the planner or the command
  before): budget under 2 s. (`--profile`: one more under cProfile.)

Writes bench/out/plan_check.json and drops the database.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from bench.rollback import (  # noqa: E402  (after the path set-up above)
    all_live,
    bench_people,
    distribution,
    django_on,
    header,
    ms,
    postgres_url,
    print_table,
    skip_or_run,
    throwaway_database,
    verdict,
    write_json,
)

BUDGET_CHECK_S = 1.0
BUDGET_COMMAND_S = 2.0


def _versions() -> tuple[Any, Any]:
    """The national bundle, and a copy whose explicit candidate lists are reversed."""
    import re

    from bench.bundles import NATIONAL, ensure_bundle
    from rollout.domain.bundle import read_bundle_path
    from rollout.services.versions import version_create

    bundle_dir, _, _ = ensure_bundle("national", NATIONAL)
    files = read_bundle_path(bundle_dir)
    rerouted = dict(files)

    def reverse(match: re.Match[str]) -> str:  # a block list of candidates, last first
        items = match.group(2).splitlines(keepends=True)
        return match.group(1) + "".join(reversed(items))

    text = files["routing.yaml"].decode()
    # The generator writes a rule's keys 4 spaces in and their list items 6 spaces in.
    candidates = re.compile(r"^(    fcs:\n)((?:      - [^\n]+\n)+)", re.MULTILINE)
    rerouted["routing.yaml"] = candidates.sub(reverse, text).encode()
    if rerouted["routing.yaml"] == files["routing.yaml"]:
        raise SystemExit("bench: no candidate list to reverse in the national routing.yaml")
    out = []
    for message, bundle in (("bench: national", files), ("bench: national rerouted", rerouted)):
        result = version_create(files=bundle, message=message)
        if not result.version.valid:
            raise SystemExit(f"{message} is not valid: {result.version.findings[:3]}")
        out.append(result.version)
    return out[0], out[1]


def _profile(command: list[str], env: dict[str, str]) -> None:
    """The command once more under cProfile; its 30 costliest calls (cumulative) printed."""
    import pstats

    out = REPO / "bench" / "out" / "rollout_create.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([command[0], "-m", "cProfile", "-o", str(out), *command[1:]], env=env,
                   capture_output=True, check=True)
    print(f"\ncProfile of `rollout create` ({out.relative_to(REPO)}):")
    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm in-process checks, commands")
    parser.add_argument("--database", default="rrm_bench_plan", help="throwaway database name")
    parser.add_argument("--profile", action="store_true",
                        help="also run the command once under cProfile "
                             "(bench/out/rollout_create.prof, top functions printed)")
    args = parser.parse_args(argv)
    url = postgres_url()
    with tempfile.TemporaryDirectory(prefix="rrm-bench-") as var, \
            throwaway_database(url, args.database) as bench_url:
        django_on(bench_url, Path(var))
        from rollout.models import LiveStateRecord
        from rollout.services import live as live_service
        from rollout.services.plans import PhasePlan, plan_check

        def forget_new_state() -> None:
            """As if the live state had just changed: this process knows nothing of it, and
            no process has stored its findings yet."""
            live_service.live_state_forget()
            live_service._CHECKED.clear()
            LiveStateRecord.objects.update(findings=None)

        live, new = _versions()
        regions = all_live(live)
        bench_people()
        phases = [PhasePlan(regions=regions[:4]), PhasePlan(regions=regions[4:])]
        started = time.perf_counter()
        findings = plan_check(version=new, phases=phases)
        cold_s = time.perf_counter() - started
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise SystemExit(f"the bench plan does not pass: {errors[:3]}")
        warm, reloaded = [], []
        for _ in range(args.runs):  # a planner's web process: the live state's checks known
            started = time.perf_counter()
            plan_check(version=new, phases=phases)
            warm.append(time.perf_counter() - started)
        for _ in range(args.runs):  # the first check of a new live state, in any process
            forget_new_state()
            started = time.perf_counter()
            plan_check(version=new, phases=phases)
            reloaded.append(time.perf_counter() - started)
        env = {**os.environ, "DATABASE_URL": bench_url, "RRM_VAR_DIR": var,
               "LOG_LEVEL": "WARNING"}
        command = [sys.executable, str(REPO / "manage.py"), "rollout", "create", new.id,
                   "--phase", ",".join(regions[:4]), "--phase", ",".join(regions[4:]),
                   "--as", "bench-planner"]
        commands, firsts = [], []
        for _ in range(args.runs):  # the first process to check a new live state
            forget_new_state()
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            firsts.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"rollout create failed ({done.returncode}): "
                                 f"{done.stderr[-2000:]}")
        for _ in range(args.runs):  # the live state's findings stored by the one before
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            commands.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"rollout create failed ({done.returncode}): "
                                 f"{done.stderr[-2000:]}")
        if args.profile:
            _profile(command, env)
    check, whole, after = distribution(warm), distribution(commands), distribution(reloaded)
    first = distribution(firsts)
    rows = [
        ("plan_check, first call in a process", ms(cold_s), "builds the route tables"),
        (f"plan_check p50 ({args.runs} runs)", ms(check["p50_s"]),
         f"< {BUDGET_CHECK_S * 1000:.0f} ms  {verdict(check['p50_s'], BUDGET_CHECK_S)}"),
        (f"plan_check after the live state changed p50 ({args.runs} runs)",
         ms(after["p50_s"]), "also composes, checks and stores the live state"),
        (f"rollout create (whole command) p50 ({args.runs} runs)", ms(whole["p50_s"]),
         f"< {BUDGET_COMMAND_S * 1000:.0f} ms  {verdict(whole['p50_s'], BUDGET_COMMAND_S)}"),
        ("rollout create max", ms(whole["max_s"]), ""),
        (f"rollout create, first process after a change p50 ({args.runs} runs)",
         ms(first["p50_s"]), "checks the new live state and stores its findings"),
    ]
    print_table("Plan check, two phases over 8 regions, national bundle, PostgreSQL", rows)
    write_json("plan_check.json", {
        **header(), "regions": len(regions), "cold_s": cold_s, "plan_check": check,
        "plan_check_after_live_change": after,
        "rollout_create": whole, "rollout_create_first_after_change": first,
        "budgets": [
            {"key": "plan_check_p50_s", "value": check["p50_s"], "budget": BUDGET_CHECK_S,
             "unit": "s", "status": verdict(check["p50_s"], BUDGET_CHECK_S)},
            {"key": "rollout_create_p50_s", "value": whole["p50_s"],
             "budget": BUDGET_COMMAND_S, "unit": "s",
             "status": verdict(whole["p50_s"], BUDGET_COMMAND_S)}]})
    return 0


if __name__ == "__main__":
    sys.exit(skip_or_run(main))
