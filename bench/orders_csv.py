"""A deterministic orders CSV (`order_id,zone,sku`, one row per item) for the replay benchmark.

The rows come from the bundle's own generated orders (`generate_orders`), taken in a seeded
random order of orders rather than in zone order, so a file cut at N rows still spreads over
every region like a day's export would. Rows of one order stay adjacent; the last order is cut
short when needed so the file has exactly N item rows. Order ids are `O` plus a running number.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from rollout.domain import demand
from rollout.domain.bundle import Bundle
from rollout.domain.demand import CSV_HEADER, Orders, generate_orders

SHUFFLE_SEED = 11


def orders_csv_bytes(bundle: Bundle, orders: Orders, rows: int) -> bytes:
    """The first `rows` item rows of `orders`, orders taken in a seeded shuffled order."""
    order_ids = np.random.default_rng(SHUFFLE_SEED).permutation(orders.n_orders)
    # Items of each order are contiguous in `orders` (item_order is non-decreasing).
    starts = np.searchsorted(orders.item_order, np.arange(orders.n_orders + 1))
    sizes = np.diff(starts)[order_ids]
    # Per written item: the position of its item in `orders`, via its order's first item.
    item_rank = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    items = (np.repeat(starts[:-1][order_ids], sizes) + item_rank)[:rows]
    written_order = np.repeat(np.arange(len(order_ids)), sizes)[:rows]
    zone_ids = np.array([zone.id for zone in bundle.network.zones], dtype=object)
    zones = zone_ids[orders.order_zone[orders.item_order[items]]]
    lines = [
        f"O{order + 1},{zone},{sku}"
        for order, zone, sku in zip(
            written_order.tolist(), zones.tolist(), orders.item_sku[items].tolist(), strict=True
        )
    ]
    return (",".join(CSV_HEADER) + "\n" + "\n".join(lines) + "\n").encode("ascii")


def ensure_orders_csv(
    path: Path, bundle: Bundle, *, bundle_key: dict[str, object], rows: int
) -> tuple[Path, dict[str, object], bool]:
    """Write `path` unless a manifest beside it says it is already these rows of this bundle.

    `bundle_key` identifies the bundle's content (the bundle manifest's generator and params).
    Returns the path, its manifest and whether the cached file was reused.
    """
    manifest = path.with_suffix(".json")
    wanted = {
        "bundle": bundle_key,
        "rows": rows,
        "shuffle_seed": SHUFFLE_SEED,
        "writer": _writer_fingerprint(),
    }
    if manifest.exists() and path.exists():
        cached = json.loads(manifest.read_text())
        same_size = cached.get("bytes") == path.stat().st_size
        if {k: cached.get(k) for k in wanted} == wanted and same_size:
            return path, cached, True
    orders = generate_orders(bundle)
    data = orders_csv_bytes(bundle, orders, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    written = data.count(b"\n") - 1
    info: dict[str, object] = {**wanted, "bytes": len(data), "written_rows": written}
    manifest.write_text(json.dumps(info, indent=2) + "\n")
    return path, info, False


def _writer_fingerprint() -> str:
    """This writer and the demand generator it reads from: the file is stale when either
    changes."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(demand.__file__).read_bytes())
    return digest.hexdigest()[:16]
