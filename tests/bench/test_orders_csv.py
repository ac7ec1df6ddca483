"""The replay benchmark's orders CSV is exact, deterministic and replayable (no timings here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.generate_bundle import generate_bundle
from bench.orders_csv import ensure_orders_csv, orders_csv_bytes
from rollout.domain.bundle import Bundle, parse_bundle, read_bundle_path
from rollout.domain.demand import generate_orders, read_orders_csv

SMALL = {"zones": 300, "facilities": 60, "lanes": 200, "regions": 4, "seed": 3}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    path = tmp_path_factory.mktemp("bundle")
    generate_bundle(path, **SMALL)
    parsed = parse_bundle(read_bundle_path(path))
    assert parsed.bundle is not None
    return parsed.bundle


def test_orders_csv_bytes__fewer_rows_than_items__exactly_that_many_rows(bundle: Bundle) -> None:
    # Given the bundle's generated orders
    orders = generate_orders(bundle)

    # When a CSV of fewer rows than items is written and read back
    data = orders_csv_bytes(bundle, orders, 1000)
    replayed = read_orders_csv(data, bundle)

    # Then it has exactly 1000 item rows, under the contract's header
    assert data.startswith(b"order_id,zone,sku\n")
    assert replayed.n_items == 1000
    assert replayed.n_orders <= 1000


def test_orders_csv_bytes__all_rows__same_orders_as_generated(bundle: Bundle) -> None:
    # Given the bundle's generated orders
    orders = generate_orders(bundle)

    # When every item is written (in shuffled order of orders) and read back
    replayed = read_orders_csv(orders_csv_bytes(bundle, orders, orders.n_items), bundle)

    # Then it is the same day: same orders per zone, same items per SKU, same order sizes
    assert replayed.n_orders == orders.n_orders
    assert replayed.n_items == orders.n_items
    np.testing.assert_array_equal(np.sort(replayed.order_zone), np.sort(orders.order_zone))
    np.testing.assert_array_equal(np.sort(replayed.item_sku), np.sort(orders.item_sku))
    sizes = np.sort(np.bincount(replayed.item_order))
    np.testing.assert_array_equal(sizes, np.sort(np.bincount(orders.item_order)))


def test_ensure_orders_csv__second_call__reuses_identical_file(
    bundle: Bundle, tmp_path: Path
) -> None:
    # Given a CSV written once
    key: dict[str, object] = {"params": SMALL}
    path, _, reused_first = ensure_orders_csv(tmp_path / "o.csv", bundle, bundle_key=key, rows=500)
    first = path.read_bytes()

    # When it is asked for again, and then written afresh elsewhere
    _, _, reused_second = ensure_orders_csv(path, bundle, bundle_key=key, rows=500)
    other, _, _ = ensure_orders_csv(tmp_path / "p.csv", bundle, bundle_key=key, rows=500)

    # Then the second call reuses it and a fresh write is byte-identical
    assert (reused_first, reused_second) == (False, True)
    assert other.read_bytes() == first
