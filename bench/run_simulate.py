"""The simulation section of `make bench` (issue 4): core speed, CLI, CSV replay, scaling.

Called by bench/run.py after the validation section (or alone with `--only simulate`). Prints
each figure, its budget verdicts, and writes bench/out/simulate.json plus the scaling table
bench/out/simulate_scaling.md (and .png when matplotlib happens to be installed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import report, scaling
from bench.bundles import OUT, REPO
from bench.commands import CommandResult
from bench.common import print_command_results
from bench.orders_csv import ensure_orders_csv
from bench.sim_commands import ServiceResult, bench_service, bench_simulate_commands
from bench.simulation import (
    FlowTimings,
    ReplayTimings,
    measure_flow,
    measure_replay,
    profile_flow,
    profile_replay,
)
from rollout.domain.bundle import Bundle, parse_bundle, read_bundle_path
from rollout.domain.demand import generate_orders
from rollout.domain.simulate import prepare

FLOW_BUDGET = next(b for k, _, b, _ in report.SIMULATE_BUDGETS if k == "flow_orders_per_s")
REPLAY_BUDGET = next(b for k, _, b, _ in report.SIMULATE_BUDGETS if k == "replay_inprocess_s")


@dataclass
class Options:
    name: str  # "national" or "quick"
    bundle_dir: Path
    bundle_key: dict[str, object]  # the bundle manifest's generator fingerprint and params
    runs: int
    work: Path
    profile: bool
    csv_rows: int
    grid: scaling.Grid
    machine: str


def run(options: Options) -> tuple[list[report.Verdict], dict[str, Any]]:
    """Measure, print, write the outputs; returns the verdicts and the JSON payload."""
    bundle = _bundle(options.bundle_dir)
    bundle_rel = str(options.bundle_dir.relative_to(REPO))
    csv_path, csv_info, csv_reused = ensure_orders_csv(
        options.bundle_dir.parent / f"orders-{options.name}-{options.csv_rows}.csv",
        bundle,
        bundle_key=options.bundle_key,
        rows=options.csv_rows,
    )
    csv_rel = str(csv_path.relative_to(REPO))

    flow = measure_flow(bundle, runs=options.runs)
    print_flow(flow, options.name, options.runs)
    replay = measure_replay(csv_path, bundle, runs=options.runs, gc_diagnostic=True)
    print_replay(replay, csv_rel, csv_reused, options.runs)
    profiles = _profiles(options, bundle, csv_path, flow, replay)

    cli = bench_simulate_commands(bundle_rel, csv_rel, options.work, options.runs)
    service = bench_service(bundle_rel, csv_rel, options.work)
    print_cli(cli, service)

    cells = scaling.measure_grid(options.grid, runs=options.runs)
    suffix = "" if options.name == "national" else f"-{options.name}"
    table = scaling.table_markdown(options.grid, cells, runs=options.runs, machine=options.machine)
    (OUT / f"simulate_scaling{suffix}.md").write_text(table)
    plotted = scaling.plot_png(options.grid, cells, OUT / f"simulate_scaling{suffix}.png")
    report.section(f"Scaling (zones x orders; written to bench/out/simulate_scaling{suffix}.md)")
    body = table[table.index("\n## ") + 1 :].replace("## ", "")
    print("\n".join(f"  {line}".rstrip() for line in body.splitlines()))
    print(f"\n  plot: {plotted}")

    generated, replayed = cli["simulate"], cli["simulate --orders"]
    figures = {
        "flow_orders_per_s": flow.flow_orders_per_s,
        "simulate_cli_s": generated.median_s if generated.ok else None,
        "simulate_peak_rss_mb": generated.peak_rss_mb if generated.ok else None,
        "replay_inprocess_s": replay.total_s,
        "replay_cli_s": replayed.median_s if replayed.ok else None,
    }
    notes = {
        "simulate_cli_s": generated.note.split("\n")[0],
        "simulate_peak_rss_mb": generated.note.split("\n")[0],
        "replay_cli_s": replayed.note.split("\n")[0],
    }
    items = report.verdicts(figures, notes, report.SIMULATE_BUDGETS)
    payload = {
        "bundle": bundle_rel,
        "orders_csv": {"path": csv_rel, "reused": csv_reused, **csv_info},
        "flow": flow.as_dict(),
        "replay": vars(replay),
        "commands": {k: v.as_dict() for k, v in cli.items()},
        "service": service.as_dict(),
        "scaling": {
            "facilities": options.grid.base["facilities"],
            "lanes": options.grid.base["lanes"],
            "cells": [c.as_dict() for c in cells],
            "plot": plotted,
        },
        "profiles": profiles,
        "budgets": [item.as_dict() for item in items],
    }
    return items, payload


def _bundle(bundle_dir: Path) -> Bundle:
    parsed = parse_bundle(read_bundle_path(bundle_dir))
    if parsed.bundle is None:
        raise SystemExit(f"{bundle_dir} does not parse: {parsed.findings[0].as_text()}")
    return parsed.bundle


def _profiles(
    options: Options, bundle: Bundle, csv_path: Path, flow: FlowTimings, replay: ReplayTimings
) -> dict[str, str]:
    """cProfile the flow phase and the CSV read with --profile, or when they miss budget."""
    saved = {}
    if options.profile or flow.flow_orders_per_s < FLOW_BUDGET:
        out = OUT / f"simulate-flow-{options.name}.prof"
        report.section("cProfile of the flow phase, simulate(prepared, orders) (top by own time)")
        print(profile_flow(prepare(bundle), generate_orders(bundle), out).rstrip())
        saved["flow"] = str(out.relative_to(REPO))
    if options.profile or replay.total_s >= REPLAY_BUDGET:
        out = OUT / f"simulate-replay-{options.name}.prof"
        report.section("cProfile of read_orders_csv (top by own time)")
        print(profile_replay(csv_path, bundle, out).rstrip())
        saved["replay"] = str(out.relative_to(REPO))
    return saved


def print_flow(flow: FlowTimings, name: str, runs: int) -> None:
    report.section(
        f"simulate, in-process ({name}: {flow.orders:,} generated orders, "
        f"{flow.items:,} items; median of {runs})"
    )
    report.row("prepare (fresh, from a parsed bundle)", report.seconds(flow.prepare_s))
    report.row("demand (generate_orders)", report.seconds(flow.demand_s))
    runs_text = ", ".join(f"{t * 1000:.0f}" for t in flow.flow_runs_s)
    report.row("flow (prepared network)", report.seconds(flow.flow_s), f"runs: {runs_text} ms")
    report.row("flow: orders/s", report.rate(flow.flow_orders_per_s))
    report.row("demand + flow: orders/s", report.rate(flow.demand_flow_orders_per_s))
    first = flow.first
    report.row(
        "first call in the process: flow",
        report.seconds(first.get("flow")),
        f"prepare {report.seconds(first.get('prepare'))}, "
        f"demand {report.seconds(first.get('demand'))}",
    )
    print("  note: the first call also pays one-time costs (lazy imports, the lane graph)")


def print_replay(replay: ReplayTimings, csv: str, reused: bool, runs: int) -> None:
    report.section(
        f"orders CSV replay, in-process ({replay.rows:,} rows, {replay.orders:,} orders; "
        f"median of {runs})"
    )
    print(f"  file: {csv} ({'reused' if reused else 'written now'})")
    report.row(
        "read_orders_csv (from disk)",
        report.seconds(replay.read_s),
        f"{replay.rows / replay.read_s / 1e6:.2f} M rows/s" if replay.read_s else "",
    )
    report.row("simulate: prepare", report.seconds(replay.prepare_s))
    report.row("simulate: flow", report.seconds(replay.flow_s))
    runs_text = ", ".join(f"{t:.2f}" for t in replay.total_runs_s)
    report.row("read + simulate", report.seconds(replay.total_s), f"runs: {runs_text} s")
    report.row(
        "diagnostic: read_orders_csv with GC off",
        report.seconds(replay.read_gc_off_s),
        "(gc.disable(); shows the cyclic GC's share)",
    )


def print_cli(cli: dict[str, CommandResult], service: ServiceResult) -> None:
    print_command_results("manage.py simulate (subprocesses; no database needed for a path)", cli)
    report.section("simulation_run service on a stored version (fresh SQLite; one process)")
    if not service.ok or service.figures is None:
        first, _, rest = service.note.partition("\n")
        report.row("simulation_run", "-", first)
        if rest:
            print("    " + rest.replace("\n", "\n    "))
        return
    f = service.figures
    report.row("first call (parse, simulate, store the run)", report.seconds(float(f["first_s"])))
    report.row(
        "cached call",
        report.seconds(float(f["cached_s"])),
        "same result" if f.get("same_result") else "DIFFERENT result",
    )
    if "csv_first_s" in f:
        report.row("orders CSV: first call", report.seconds(float(f["csv_first_s"])))
        report.row(
            "orders CSV: cached call (sha256 + lookup)",
            report.seconds(float(f["csv_cached_s"])),
            "same result" if f.get("csv_same_result") else "DIFFERENT result",
        )
    report.row("peak RSS of that process", f"{service.peak_rss_mb or 0:,.0f} MB", service.note)

