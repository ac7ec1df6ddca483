"""Orders for the simulator: generated from demand.yaml, or replayed from an orders CSV.

Orders are three int64 arrays (no Python object per order): each order's zone position, each
item's order index and each item's SKU. DESIGN section 2: each zone places exactly its `demand`
orders; an order has 1 + Poisson(items_per_order - 1) items; SKU k is drawn with probability
proportional to 1 / (k + 1) ** zipf; the seed makes it reproducible.

What one simulation may cost is decided here, where demand is generated, so that the API, the
UI and `manage.py simulate` all get the same bounds: every setting has a range
(`SimulationDemand`, whose bounds the API shows in its OpenAPI document) and the items of one
day (orders x items per order) have a ceiling (`MAX_ITEMS`). `bounded_demand` checks both.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field, StrictInt, ValidationError

from rollout.domain.bundle import Bundle
from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.gcpause import gc_paused
from rollout.domain.schema import Demand

DEFAULT_CATALOG = 100_000
CSV_HEADER = ("order_id", "zone", "sku")

# Measured on the national benchmark bundle (bench/data/national: 1,000,001 orders a day, 1.6
# items per order by default: 1.7 s and 0.44 GB). Generation and flow cost ~80 bytes and ~0.3 us
# per item (5 M items: 2.8 s, 0.71 GB; 40 M items: 16 s, 4 GB), and the Zipf table 16 bytes per
# SKU of the catalogue (10^7 SKUs: 160 MB for a moment; 10^12 asked numpy for 7 TiB).
#: the most SKUs a generated catalogue may have
MAX_CATALOG = 10_000_000
#: the steepest Zipf exponent (beyond it every order asks for SKU 0 anyway)
MAX_ZIPF = 10
#: the most items an order may have on average
MAX_ITEMS_PER_ORDER = 100
#: seeds are 0 .. 2**63 - 1 (numpy refuses negative seeds)
MAX_SEED = 2**63 - 1
#: the most items one simulation may generate: orders a day x items per order (about 3x the
#: national bundle's default day)
MAX_ITEMS = 5_000_000


class OrdersError(RolloutError, ValueError):
    """An orders CSV that cannot be replayed; the message names the row (the header is row 1)."""

    kind = ErrorKind.INVALID


class DemandError(RolloutError, ValueError):
    """Demand settings outside their bounds, or a day of demand that is more work than one
    simulation may do; the message names the setting (`where`) and the limit."""

    kind = ErrorKind.INVALID


class SimulationDemand(Demand):
    """demand.yaml's settings within what one simulation may cost (same fields and defaults)."""

    catalog: StrictInt = Field(default=100_000, gt=0, le=MAX_CATALOG,
                               description="SKUs 0..catalog-1 (Zipf popularity by rank)")
    # float, not demand.yaml's int-or-float: the same values (strict floats take whole
    # numbers too), and OpenAPI then shows the bounds as minimum/maximum.
    zipf: float = Field(default=1.1, ge=0, le=MAX_ZIPF,
                        description="P(SKU k) proportional to 1 / (k + 1) ** zipf")
    items_per_order: float = Field(
        default=1.6, ge=1, le=MAX_ITEMS_PER_ORDER,
        description=f"mean items per order (1 + Poisson(mean - 1)); orders a day x this mean "
                    f"may be at most {MAX_ITEMS:,} items")
    seed: StrictInt = Field(default=7, ge=0, le=MAX_SEED, description="random seed")


@dataclass(frozen=True)
class Orders:
    order_zone: np.ndarray  # per order: zone position in bundle.network.zones
    item_order: np.ndarray  # per item: its order's index
    item_sku: np.ndarray  # per item: SKU

    @property
    def n_orders(self) -> int:
        return len(self.order_zone)

    @property
    def n_items(self) -> int:
        return len(self.item_sku)


def demand_settings(bundle: Bundle) -> Demand:
    return bundle.demand if bundle.demand is not None else Demand()


def catalog_size(bundle: Bundle) -> int:
    return demand_settings(bundle).catalog


def orders_per_day(bundle: Bundle) -> int:
    """The orders of one generated day: the sum of the zones' `demand`."""
    return sum(zone.demand or 0 for zone in bundle.network.zones)


def bounded_demand(bundle: Bundle, demand: Demand | None = None, *,
                   where: str = "demand") -> SimulationDemand:
    """The demand a simulation of `bundle` generates (`demand`, else the bundle's demand.yaml,
    else the defaults), checked against the bounds of every setting and against `MAX_ITEMS`.

    Raises `DemandError` naming the setting as `<where>.<setting>` (`where` is "demand" for
    settings given with a request; the bundle's own are named "demand.yaml").
    """
    if demand is None:
        demand, where = demand_settings(bundle), "demand.yaml"
    try:
        bounded = SimulationDemand.model_validate(demand.model_dump())
    except ValidationError as exc:
        raise DemandError("; ".join(
            f"{where}.{'.'.join(map(str, error['loc']))}: {error['msg']} "
            f"(got {error.get('input')!r})" for error in exc.errors())) from None
    orders = orders_per_day(bundle)
    items = orders * bounded.items_per_order
    if items > MAX_ITEMS:
        raise DemandError(
            f"{where}.items_per_order: {bounded.items_per_order:g} items per order x "
            f"{orders:,} orders a day is about {items:,.0f} items; one simulation may generate "
            f"at most {MAX_ITEMS:,} items (orders x items per order)")
    return bounded


def generate_orders(bundle: Bundle, *, demand: Demand | None = None) -> Orders:
    """One day of orders: each zone places exactly its `demand` orders (none when unset).

    Raises `DemandError` (before allocating anything) when the settings are out of bounds.
    """
    settings = bounded_demand(bundle, demand)
    per_zone = np.array([zone.demand or 0 for zone in bundle.network.zones], dtype=np.int64)
    order_zone = np.repeat(np.arange(len(per_zone), dtype=np.int64), per_zone)
    rng = np.random.default_rng(settings.seed)
    extra = settings.items_per_order - 1
    items = 1 + (rng.poisson(extra, size=len(order_zone)) if extra > 0
                 else np.zeros(len(order_zone), dtype=np.int64))
    item_order = np.repeat(np.arange(len(order_zone), dtype=np.int64), items)
    item_sku = zipf_skus(rng, len(item_order), catalog=settings.catalog, exponent=settings.zipf)
    return Orders(order_zone=order_zone, item_order=item_order, item_sku=item_sku)


def zipf_skus(rng: np.random.Generator, count: int, *, catalog: int, exponent: float) -> np.ndarray:
    """`count` SKUs in 0..catalog-1 with P(k) proportional to 1 / (k + 1) ** exponent.

    Inverse-CDF sampling over the finite catalogue (numpy's own zipf is unbounded and needs
    exponent > 1, while demand.yaml allows any exponent >= 0).
    """
    weights = 1.0 / np.power(np.arange(1, catalog + 1, dtype=np.float64), exponent)
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    skus = np.searchsorted(cdf, rng.random(count), side="right")
    return np.minimum(skus, catalog - 1).astype(np.int64)


def read_orders_csv(data: bytes | str | Path, bundle: Bundle) -> Orders:
    """Replay an exact order list: header `order_id,zone,sku`, one row per item.

    Rows with the same order_id form one order (they need not be adjacent). The whole file is
    checked before anything is returned: an unknown zone, a SKU outside the catalogue or a
    malformed row raises `OrdersError` naming the row, never a half-read result.
    """
    with gc_paused():
        return _read_orders(_text_of(data), bundle)


def _read_orders(text: str, bundle: Bundle) -> Orders:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise OrdersError("row 1: the file is empty; expected the header order_id,zone,sku")
    header = tuple(part.strip().strip('"').lower() for part in lines[0].split(","))
    if header != CSV_HEADER:
        raise OrdersError(f"row 1: header is {','.join(header)!r}; expected order_id,zone,sku")
    numbers: Sequence[int]
    columns = _columns_fast(lines)
    if columns is None:  # quoting, blank lines or a malformed row: the careful path
        rows, numbers = _rows(lines)
        order_ids, zones, skus = ([list(c) for c in zip(*rows, strict=True)] if rows
                                  else ([], [], []))
    else:
        order_ids, zones, skus = columns
        numbers = range(2, len(order_ids) + 2)
    zone_position = {zone.id: index for index, zone in enumerate(bundle.network.zones)}
    catalog = catalog_size(bundle)
    if not order_ids:
        empty = np.zeros(0, dtype=np.int64)
        return Orders(order_zone=empty, item_order=empty, item_sku=empty)

    count = len(order_ids)
    item_order = _order_indexes(order_ids)
    item_zone = np.fromiter(map(zone_position.get, zones, itertools.repeat(-1)),
                            dtype=np.int64, count=count)
    if (item_zone < 0).any():
        bad = int(np.argmax(item_zone < 0))
        raise OrdersError(f"row {numbers[bad]}: unknown zone {zones[bad]!r}")
    item_sku = _skus(skus, numbers, catalog)
    order_zone = np.full(int(item_order.max()) + 1, -1, dtype=np.int64)
    order_zone[item_order[::-1]] = item_zone[::-1]  # the first row of each order wins ...
    mismatch = order_zone[item_order] != item_zone  # ... and every other row must agree
    if mismatch.any():
        bad = int(np.argmax(mismatch))
        raise OrdersError(f"row {numbers[bad]}: order {order_ids[bad]!r} names zone "
                          f"{zones[bad]!r}, but an earlier row of it names another zone")
    return Orders(order_zone=order_zone, item_order=item_order, item_sku=item_sku)


def _text_of(data: bytes | str | Path) -> str:
    if isinstance(data, Path):
        path = data
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise OrdersError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise OrdersError(f"row {line}: not valid UTF-8") from exc
    return data


def _order_indexes(order_ids: list[str]) -> np.ndarray:
    """An index per row's order: equal ids, equal index (the indexes' order means nothing).

    Numeric ids, the usual case, are grouped by numpy on their integer values, several times
    faster than hashing a million strings; any other ids go through a dict. Only canonical
    spellings take the numeric path, so "007" and "7" stay two different orders.
    """
    numeric: np.ndarray | None
    try:
        numeric = np.array(order_ids, dtype=np.int64)
    except (ValueError, OverflowError):
        numeric = None
    if numeric is not None and not any(_non_canonical(order_id) for order_id in order_ids):
        return np.unique(numeric, return_inverse=True)[1].reshape(-1).astype(np.int64)
    index = {order_id: i for i, order_id in enumerate(dict.fromkeys(order_ids))}
    return np.fromiter(map(index.__getitem__, order_ids), dtype=np.int64,
                       count=len(order_ids))


def _non_canonical(order_id: str) -> bool:
    return (order_id[:1] in ("+", "0") and order_id != "0") or order_id.startswith("-0") \
        or "_" in order_id


def _columns_fast(lines: list[str]) -> tuple[list[str], list[str], list[str]] | None:
    """The three columns of a plain CSV (no quotes, no blank lines, three fields on every row)
    split in one go, or None to take the careful row-by-row path (which also finds the row of
    any problem)."""
    body = lines[1:]
    if not body or any('"' in line or not line for line in body):
        return None
    fields = ",".join(body).split(",")
    if len(fields) != 3 * len(body):
        return None
    order_ids, zones, skus = fields[0::3], fields[1::3], fields[2::3]
    if any(" " in line or "\t" in line for line in body):
        order_ids, zones, skus = ([field.strip() for field in column]
                                  for column in (order_ids, zones, skus))
    return order_ids, zones, skus


def _rows(lines: list[str]) -> tuple[list[list[str]], list[int]]:
    """Data rows as [order_id, zone, sku] strings with their 1-based row numbers."""
    body = lines[1:]
    # Plain splitting is several times faster than the csv module; quoting needs the module.
    quoted = any('"' in line for line in body)
    parsed = (csv.reader(io.StringIO("\n".join(body))) if quoted
              else (line.split(",") for line in body))
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, fields in enumerate(parsed, start=2):
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line (e.g. at the end of the file)
        if len(fields) != 3:
            raise OrdersError(f"row {number}: expected 3 fields (order_id,zone,sku), "
                              f"got {len(fields)}")
        rows.append([field.strip() for field in fields])
        numbers.append(number)
    return rows, numbers


def _skus(skus: list[str], numbers: Sequence[int], catalog: int) -> np.ndarray:
    try:
        values = np.array(skus, dtype=np.int64)
    except (ValueError, OverflowError):
        for index, sku in enumerate(skus):
            try:
                int(sku)
            except ValueError:
                raise OrdersError(f"row {numbers[index]}: sku {sku!r} is not a whole number") \
                    from None
        raise OrdersError("a sku is too large") from None
    outside = (values < 0) | (values >= catalog)
    if outside.any():
        bad = int(np.argmax(outside))
        raise OrdersError(f"row {numbers[bad]}: sku {skus[bad]} is outside the catalogue "
                          f"0..{catalog - 1} (set catalog in demand.yaml)")
    return values
