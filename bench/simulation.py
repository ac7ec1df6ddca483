"""In-process timings of the order-flow simulator: prepare, demand, flow, and CSV replay.

The simulator reports its own phases in `SimulationResult.timings` ("prepare", "demand" when it
generated the orders, "flow"); these functions call it the ways its users do and take medians.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.domain.bundle import Bundle
from rollout.domain.demand import Orders, generate_orders, read_orders_csv
from rollout.domain.simulate import PreparedNetwork, SimulationResult, prepare, simulate


@dataclass
class FlowTimings:
    """One bundle's simulation with generated demand. Medians unless named `first`."""

    orders: int = 0
    items: int = 0
    prepare_s: float = 0.0  # a fresh `prepare` (simulate(bundle)'s own "prepare" phase)
    demand_s: float = 0.0  # generate_orders, inside simulate(prepared)
    flow_s: float = 0.0  # the flow phase with a prepared, already used network
    flow_runs_s: list[float] = field(default_factory=list)
    first: dict[str, float] = field(default_factory=dict)  # the first call in this process
    total: dict[str, float | int] = field(default_factory=dict)  # the KPIs, for a sanity look

    @property
    def flow_orders_per_s(self) -> float:
        return self.orders / self.flow_s if self.flow_s else 0.0

    @property
    def demand_flow_orders_per_s(self) -> float:
        spent = self.demand_s + self.flow_s
        return self.orders / spent if spent else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            **vars(self),
            "flow_orders_per_s": self.flow_orders_per_s,
            "demand_flow_orders_per_s": self.demand_flow_orders_per_s,
        }


@dataclass
class ReplayTimings:
    """`read_orders_csv(path)` then `simulate(bundle, orders)`: medians of the runs."""

    rows: int = 0
    orders: int = 0
    read_s: float = 0.0
    prepare_s: float = 0.0
    flow_s: float = 0.0
    total_s: float = 0.0
    total_runs_s: list[float] = field(default_factory=list)
    read_gc_off_s: float | None = None  # diagnostic: the same read with the cyclic GC off


def measure_flow(bundle: Bundle, *, runs: int) -> FlowTimings:
    """Phase timings of `simulate` over the bundle's own generated demand."""
    out = FlowTimings()
    first = simulate(bundle)  # pays one-time costs: lazy imports, caches built on first use
    out.first = dict(first.timings)
    fresh = [simulate(bundle).timings["prepare"] for _ in range(runs)]
    prepared = prepare(bundle)
    simulate(prepared)  # a prepared network that has been used once, as a server would hold it
    results = [simulate(prepared) for _ in range(runs)]
    out.prepare_s = statistics.median(fresh)
    out.demand_s = statistics.median(r.timings["demand"] for r in results)
    out.flow_runs_s = [r.timings["flow"] for r in results]
    out.flow_s = statistics.median(out.flow_runs_s)
    out.total = dict(results[-1].total)
    out.orders = int(out.total["orders"])
    out.items = generate_orders(bundle).n_items
    return out


def measure_replay(
    csv_path: Path, bundle: Bundle, *, runs: int, gc_diagnostic: bool = False
) -> ReplayTimings:
    """Read the CSV from disk and simulate it against the (unprepared) bundle, `runs` times."""
    out = ReplayTimings()
    reads, prepares, flows, totals = [], [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        orders = read_orders_csv(csv_path, bundle)
        read = time.perf_counter() - started
        result = simulate(bundle, orders)
        totals.append(time.perf_counter() - started)
        reads.append(read)
        prepares.append(result.timings["prepare"])
        flows.append(result.timings["flow"])
        out.rows, out.orders = orders.n_items, orders.n_orders
    out.read_s, out.prepare_s = statistics.median(reads), statistics.median(prepares)
    out.flow_s, out.total_s = statistics.median(flows), statistics.median(totals)
    out.total_runs_s = totals
    if gc_diagnostic:
        out.read_gc_off_s = _gc_off(lambda: read_orders_csv(csv_path, bundle))
    return out


def _gc_off(fn: Callable[[], Any]) -> float:
    """Wall time of `fn` with the cyclic garbage collector disabled (it is re-enabled after)."""
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started
    finally:
        gc.enable()


def profile_flow(prepared: PreparedNetwork, orders: Orders, out: Path, *, top: int = 20) -> str:
    """cProfile one `simulate(prepared, orders)`; saves the stats, returns the top entries."""
    simulate(prepared, orders)  # the profile is of the steady state, not of first-use costs
    return _profile(lambda: simulate(prepared, orders), out, top)


def profile_replay(csv_path: Path, bundle: Bundle, out: Path, *, top: int = 15) -> str:
    return _profile(lambda: read_orders_csv(csv_path, bundle), out, top)


def _profile(fn: Callable[[], SimulationResult | Orders], out: Path, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    profiler.dump_stats(out)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()
