"""How simulation time grows with zones and orders: a grid of generated bundles and demands.

Facilities and lanes stay fixed (the national bundle's 1,300 and 11,000; the quick bundle's for
--quick) so only the zone count changes between rows. The order count changes by scaling every
zone's `demand` in proportion to the generated one, so that the zones place exactly N orders
(largest remainders rounded up); `generate_orders` then draws items and SKUs as usual.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import report
from bench.bundles import NATIONAL, QUICK, ensure_bundle
from rollout.domain.bundle import Bundle, parse_bundle, read_bundle_path
from rollout.domain.demand import generate_orders
from rollout.domain.simulate import prepare, simulate


@dataclass(frozen=True)
class Grid:
    zones: tuple[int, ...]
    orders: tuple[int, ...]
    base: dict[str, int]  # generator parameters; `zones` is replaced per row

    def bundle_name(self, zones: int) -> str:
        params = {**self.base, "zones": zones}
        for name, known in (("national", NATIONAL), ("quick", QUICK)):
            if params == known:
                return name  # the main benchmark's bundle: generated once, shared
        return f"scale-{zones}z-{self.base['facilities']}f-{self.base['lanes']}l"


FULL = Grid(
    zones=(4_000, 10_000, 20_000, 40_000), orders=(100_000, 300_000, 1_000_000), base=dict(NATIONAL)
)
QUICK_GRID = Grid(zones=(1_000, 2_000, 4_000), orders=(10_000, 30_000, 100_000), base=dict(QUICK))


@dataclass
class Cell:
    zones: int
    orders: int
    items: int
    prepare_s: float
    demand_s: float
    flow_s: float

    @property
    def flow_orders_per_s(self) -> float:
        return self.orders / self.flow_s if self.flow_s else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**vars(self), "flow_orders_per_s": self.flow_orders_per_s}


def with_total_demand(bundle: Bundle, total: int) -> Bundle:
    """The bundle with zone demands scaled so that they sum to exactly `total` orders."""
    zones = bundle.network.zones
    weights = np.array([zone.demand or 0 for zone in zones], dtype=np.float64)
    if weights.sum() <= 0:
        weights[:] = 1.0
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(np.int64)
    short = total - int(counts.sum())
    counts[np.argsort(counts - share, kind="stable")[:short]] += 1  # largest remainders first
    scaled = [
        zone.model_copy(update={"demand": int(n)})
        for zone, n in zip(zones, counts.tolist(), strict=True)
    ]
    return dataclasses.replace(bundle, network=bundle.network.model_copy(update={"zones": scaled}))


def measure_grid(grid: Grid, *, runs: int) -> list[Cell]:
    cells = []
    for zones in grid.zones:
        bundle_dir, _, _ = ensure_bundle(grid.bundle_name(zones), {**grid.base, "zones": zones})
        bundle = parse_bundle(read_bundle_path(bundle_dir)).bundle
        if bundle is None:
            raise RuntimeError(f"{bundle_dir} does not parse: regenerate it")
        for orders in grid.orders:
            cells.append(_measure_cell(with_total_demand(bundle, orders), zones, orders, runs))
    return cells


def _measure_cell(bundle: Bundle, zones: int, orders: int, runs: int) -> Cell:
    started = time.perf_counter()
    prepared = prepare(bundle)
    prepare_call = time.perf_counter() - started
    warm = simulate(prepared)  # builds what prepare leaves lazy (counted in prepare_s)
    results = [simulate(prepared) for _ in range(runs)]
    if results[-1].total["orders"] != orders:
        raise RuntimeError(f"expected {orders} orders, simulated {results[-1].total['orders']}")
    return Cell(
        zones=zones,
        orders=orders,
        items=generate_orders(bundle).n_items,
        prepare_s=prepare_call + warm.timings["prepare"],
        demand_s=statistics.median(r.timings["demand"] for r in results),
        flow_s=statistics.median(r.timings["flow"] for r in results),
    )


def _count(value: int) -> str:
    return f"{value // 1_000_000}M" if value % 1_000_000 == 0 else f"{value // 1000}k"


def table_markdown(grid: Grid, cells: list[Cell], *, runs: int, machine: str) -> str:
    """Two small tables (flow; demand generation), zones down, orders across."""
    by = {(c.zones, c.orders): c for c in cells}
    head = "| zones | prepare | " + " | ".join(f"{_count(o)} orders" for o in grid.orders) + " |"
    rule = "|---:|---:|" + "---:|" * len(grid.orders)
    lines = [
        "# Simulation scaling",
        "",
        f"{machine}. Generated bundles with {grid.base['facilities']:,} facilities and "
        f"{grid.base['lanes']:,} lanes (fixed) and {grid.base['regions']} regions; orders are "
        "the generated demand scaled to N orders in total. Median of "
        f"{runs} runs on a prepared network (`simulate(prepared)`); written by "
        "`make bench` (or `python bench/run.py --only simulate`).",
        "",
        "## Flow phase (orders/s of flow in brackets)",
        "",
        head,
        rule,
    ]
    for zones in grid.zones:
        row = [f"{zones:,}", report.seconds(by[zones, grid.orders[0]].prepare_s)]
        row += [_flow_cell(by[zones, o]) for o in grid.orders]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "## Demand generation (`generate_orders`)",
        "",
        "| zones | " + " | ".join(f"{_count(o)} orders" for o in grid.orders) + " |",
        "|---:|" + "---:|" * len(grid.orders),
    ]
    for zones in grid.zones:
        row = [f"{zones:,}"] + [report.seconds(by[zones, o].demand_s) for o in grid.orders]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def _flow_cell(cell: Cell) -> str:
    return f"{report.seconds(cell.flow_s)} ({report.rate(cell.flow_orders_per_s)})"


def plot_png(grid: Grid, cells: list[Cell], out: Path) -> str:
    """Flow time against orders, one line per zone count. matplotlib is optional (not a
    dependency of the project): without it there is only the table. Returns what happened."""
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]  # optional, untyped

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return "matplotlib is not installed: table only"
    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    for zones in grid.zones:
        row = sorted((c for c in cells if c.zones == zones), key=lambda c: c.orders)
        axis.plot(
            [c.orders for c in row],
            [c.flow_s * 1000 for c in row],
            marker="o",
            label=f"{zones:,} zones",
        )
    axis.set_xticks(list(grid.orders), [_count(o) for o in grid.orders])
    axis.set_xlabel("orders per day")
    axis.set_ylabel("flow phase (ms)")
    axis.set_title("simulate: flow time by orders and zones")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    plt.close(figure)
    return f"wrote {out.name}"
