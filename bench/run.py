"""The benchmarks (`make bench`): national-scale bundle, validation, simulation, budgets.

    python bench/run.py [--quick] [--only validate|simulate|rollout|live|pages] [--keep DIR]
                        [--runs N]
                        [--profile] [--check]

`--only pages` times every operator UI page with the demo data (bench/pages.py).
`--only rollout` runs the rollout engine's benchmarks (bench/rollback.py, route_lookup.py,
phase_latency.py) against PostgreSQL from DATABASE_URL and a broker from CELERY_BROKER_URL.
`--only live` runs the live network's (bench/plan_check.py, route_batch.py, route_freshness.py).

Generates the bundle into bench/data/ (reused while the generator parameters match). Validation:
times the pipeline in-process phase by phase, then the real `manage.py validate` and
`import_config` commands as subprocesses. Simulation (bench/run_simulate.py): the simulator's
phases in-process, a 1M-row orders CSV replayed, `manage.py simulate` as subprocesses, the cached
service, and a zones x orders scaling table. Prints each figure against its budget and writes
bench/out/*.json. Timings are reported, never asserted in tests: machines differ, budgets are
for people.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `bench.*` importable from the repo root
    sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402  # after the import-path set-up
    print_command_results,
    project_interpreter,
    section_finish,
    workdir,
)

project_interpreter(__file__)

from bench import commands, report, run_simulate, scaling  # noqa: E402
from bench.bundles import NATIONAL, OUT, QUICK, ensure_bundle  # noqa: E402
from bench.generate_bundle import generator_fingerprint  # noqa: E402
from bench.inprocess import PipelineTimings, measure_pipeline, profile_validate  # noqa: E402
from rollout.domain.bundle import read_bundle_path  # noqa: E402

PARTS = ("validate", "simulate", "rollout", "live", "pages")
#: the rollout engine's benchmarks: separate scripts, each against a throwaway PostgreSQL
#: database (skipped with a message when DATABASE_URL names no PostgreSQL)
ROLLOUT_SCRIPTS = ("rollback.py", "route_lookup.py", "phase_latency.py")
#: the live network's benchmarks: the plan check and `rollout create` (PostgreSQL, skipped
#: without it), the live routes' build, load and POST /route, and GET /route while the live
#: state changes (wrk, skipped without it)
LIVE_SCRIPTS = ("plan_check.py", "route_batch.py", "route_freshness.py")
CSV_ROWS, CSV_ROWS_QUICK = 1_000_000, 100_000  # item rows of the replayed orders CSV


def bench_commands(bundle: str, work: Path, runs: int) -> dict[str, commands.CommandResult]:
    py = commands.python()
    validate = commands.time_command(
        [py, "manage.py", "validate", bundle],
        runs=runs,
        env=commands.command_env(work / "var-validate"),
        log_dir=work / "logs",
    )
    template = work / "var-migrated"
    migrate_env = commands.command_env(template)
    migrated, output = commands.migrate(migrate_env, work / "logs")
    import_argv = [py, "manage.py", "import_config", bundle, "--message", "bench"]
    if migrated:
        imported = commands.time_command(
            import_argv, runs=runs, env=migrate_env, log_dir=work / "logs", fresh_var=template
        )
    else:
        imported = commands.CommandResult(
            argv=import_argv, ok=False, note="manage.py migrate failed:\n" + output
        )
    return {"validate": validate, "import_config": imported}


def print_pipeline(timings: PipelineTimings, runs: int) -> None:
    report.section(f"validate, in-process (median of {runs})")
    for name, value in timings.parse_s.items():
        report.row(f"parse   {name} (loader.load_yaml)", report.seconds(value))
    for name, value in timings.schema_s.items():
        report.row(f"schema  {name} (model_validate)", report.seconds(value))
    report.row("parse_bundle (parse + schema, all files)", report.seconds(timings.parse_bundle_s))
    for key, value in timings.validate_phases_s.items():
        report.row(f"validate_files phase '{key}'", report.seconds(value))
    report.row("validate_files total", report.seconds(timings.validate_total_s))
    report.row("check phase (run_checks alone)", report.seconds(timings.check_phase_s))
    if timings.errors is not None:
        report.row("findings", f"{timings.errors} errors", f"{timings.warnings} warnings")
    for note in timings.notes:
        print(f"  note: {note}")


def run_validate(
    args: argparse.Namespace, bundle_dir: Path, work: Path, header: dict[str, Any]
) -> list[report.Verdict]:
    """The validation section; writes bench/out/validate*.json."""
    name = "quick" if args.quick else "national"
    bundle = str(bundle_dir.relative_to(REPO))
    files = read_bundle_path(bundle_dir)
    timings = measure_pipeline(files, runs=args.runs)
    print_pipeline(timings, args.runs)
    if args.profile:
        report.section("cProfile of validate_files (top by own time)")
        print(profile_validate(files, OUT / f"validate-{name}.prof"))
    results = bench_commands(bundle, work, args.runs)
    print_command_results("manage.py commands (subprocesses, fresh SQLite under a temp "
                          "RRM_VAR_DIR)", results, notes=True)

    validate, imported = results["validate"], results["import_config"]
    figures = {
        "validate_cli_s": validate.median_s if validate.ok else None,
        "check_phase_s": timings.check_phase_s,
        "validate_peak_rss_mb": validate.peak_rss_mb if validate.ok else None,
        "import_config_cli_s": imported.median_s if imported.ok else None,
    }
    notes = {
        "validate_cli_s": validate.note.split("\n")[0],
        "validate_peak_rss_mb": validate.note.split("\n")[0],
        "import_config_cli_s": imported.note.split("\n")[0],
        "check_phase_s": "not available yet" if timings.check_phase_s is None else "",
    }
    items = report.verdicts(figures, notes)
    payload = {
        "inprocess": vars(timings),
        "commands": {k: v.as_dict() for k, v in results.items()},
        "budgets": [item.as_dict() for item in items],
    }
    section_finish(items, what="validation", stem="validate", quick=args.quick, header=header,
                   payload=payload)
    return items


def run_simulation(
    args: argparse.Namespace,
    bundle_dir: Path,
    params: dict[str, int],
    work: Path,
    header: dict[str, Any],
) -> list[report.Verdict]:
    """The simulation section; writes bench/out/simulate*.json and the scaling table."""
    name = "quick" if args.quick else "national"
    machine = header["machine"]
    options = run_simulate.Options(
        name=name,
        bundle_dir=bundle_dir,
        bundle_key={"generator": generator_fingerprint(), "params": params},
        runs=args.runs,
        work=work,
        profile=args.profile,
        csv_rows=CSV_ROWS_QUICK if args.quick else CSV_ROWS,
        grid=scaling.QUICK_GRID if args.quick else scaling.FULL,
        machine=f"{machine['cpus']} CPUs, Python {machine['python']}, {header['when'][:10]}",
    )
    items, payload = run_simulate.run(options)
    section_finish(items, what="simulation", stem="simulate", quick=args.quick, header=header,
                   payload=payload)
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 4,000-zone bundle: a smoke run")
    parser.add_argument("--only", choices=PARTS, help="run only this part (default: all)")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep subprocess logs and the throwaway SQLite databases in DIR",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile validate_files, the simulation flow and the CSV read "
        "(bench/out/*.prof)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a budget is OVER")
    args = parser.parse_args(argv)
    parts = [args.only] if args.only else ["validate", "simulate"]
    if parts == ["pages"]:  # the UI pages use the demo data, not the national bundle
        return subprocess.call([sys.executable, str(REPO / "bench" / "pages.py")], cwd=REPO)

    name, params = ("quick", QUICK) if args.quick else ("national", NATIONAL)
    load = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    print(f"machine: {cpus} CPUs, load average {load:.2f} at start", end="")
    # Other work on the machine shows up directly in the wall times below.
    print(" (busy: expect noisy timings)" if load > cpus / 2 else "")
    bundle_dir, counts, reused = ensure_bundle(name, params)
    bundle = str(bundle_dir.relative_to(REPO))
    report.section(f"Bundle {bundle} ({'reused' if reused else 'generated'})")
    for key, value in counts.items():
        label = key.removeprefix("bytes:")
        report.row(label, report.size(value) if key.startswith("bytes") else f"{value:,}")
    header = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": cpus,
            "load_average_at_start": load,
        },
        "bundle": {"path": bundle, "params": params, "reused": reused, "counts": counts},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    items: list[report.Verdict] = []
    with workdir(args.keep, prefix="rrm-bench-") as work:
        if "validate" in parts:
            items += run_validate(args, bundle_dir, work, header)
        if "simulate" in parts:
            items += run_simulation(args, bundle_dir, params, work, header)
    scripts = (ROLLOUT_SCRIPTS if "rollout" in parts else ()) + (
        LIVE_SCRIPTS if "live" in parts else ())
    for script in scripts:
        report.section(f"bench/{script}")
        status = subprocess.call([sys.executable, str(REPO / "bench" / script)], cwd=REPO)
        if status != 0:
            print(f"bench/{script} exited with status {status}")
    return 1 if args.check and any(item.status == "OVER" for item in items) else 0


if __name__ == "__main__":
    sys.exit(main())
