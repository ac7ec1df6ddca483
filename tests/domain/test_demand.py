"""Orders for the simulator (DESIGN section 2, demand.yaml and the orders CSV): replaying an exact
order list from CSV, and generating a day of orders from demand.yaml.

CSV errors name the row, counting the header as row 1, so a planner can open the file at it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rollout.domain import demand as demand_module
from rollout.domain.bundle import Bundle
from rollout.domain.demand import (
    MAX_CATALOG,
    MAX_ITEMS,
    DemandError,
    Orders,
    OrdersError,
    bounded_demand,
    generate_orders,
    read_orders_csv,
)
from rollout.domain.schema import Demand
from tests.domain.simnet import Sections, build, ds, fc, lane, region, route, zone


def csv_bundle(*, catalog: int | None = 1000) -> Bundle:
    """Zones "021", "21" (a different zone: ids are strings) and "100"; catalog 1000 from
    demand.yaml unless `catalog` is None (then no demand.yaml: the default 100000)."""
    return build(
        facilities=[fc("FC-A"), ds("DS-A")],
        zones=[zone("021", "DS-A"), zone("21", "DS-A"), zone("100", "DS-A")],
        lanes=[lane("FC-A", "DS-A")],
        regions=[region("A", ["021", "21", "100"], ["FC-A", "DS-A"])],
        routes=[route("nearest", region="*")],
        demand=None if catalog is None else {"catalog": catalog},
    )


def as_orders(result: Orders, bundle: Bundle) -> Counter[tuple[str, tuple[int, ...]]]:
    """The orders as a multiset of (zone id, sorted SKUs): independent of how they are indexed."""
    ids = [z.id for z in bundle.network.zones]
    skus: dict[int, list[int]] = {i: [] for i in range(len(result.order_zone))}
    for order, sku in zip(result.item_order.tolist(), result.item_sku.tolist(), strict=True):
        skus[order].append(sku)
    return Counter(
        (ids[zone_position], tuple(sorted(skus[order])))
        for order, zone_position in enumerate(result.order_zone.tolist())
    )


def rejection(text: str, bundle: Bundle | None = None) -> str:
    with pytest.raises(OrdersError) as caught:
        read_orders_csv(text.encode(), bundle or csv_bundle())
    return str(caught.value)


def assert_names_row(message: str, row: int) -> None:
    assert re.search(rf"\brow {row}\b", message, re.IGNORECASE), message


# ---------------------------------------------------------------------------------------------
# Reading a valid CSV


def test_read_orders_csv__valid_file__one_order_per_order_id_with_its_items() -> None:
    # Given
    bundle = csv_bundle()
    text = "order_id,zone,sku\nA1,021,5\nA1,021,7\nB2,100,0\nC3,21,999\n"

    # When
    result = read_orders_csv(text.encode(), bundle)

    # Then
    assert as_orders(result, bundle) == Counter({
        ("021", (5, 7)): 1, ("100", (0,)): 1, ("21", (999,)): 1,
    })
    assert len(result.order_zone) == 3
    assert len(result.item_order) == len(result.item_sku) == 4
    for array in (result.order_zone, result.item_order, result.item_sku):
        assert array.dtype == np.int64


def test_read_orders_csv__rows_of_one_order_id_apart__still_one_order() -> None:
    # Given order 1's rows are interleaved with order 2's
    bundle = csv_bundle()
    text = "order_id,zone,sku\n1,021,5\n2,100,6\n1,021,7\n2,100,8\n1,021,5\n"

    # When
    result = read_orders_csv(text.encode(), bundle)

    # Then two orders; a repeated SKU is a second item
    assert as_orders(result, bundle) == Counter({("021", (5, 5, 7)): 1, ("100", (6, 8)): 1})


@pytest.mark.parametrize(
    "rows", ["1,021,1\n2,21,2\n", '"1","021","1"\n"2","21","2"\n'], ids=["plain", "quoted"],
)
def test_read_orders_csv__zone_id_with_leading_zeros__stays_a_string(rows: str) -> None:
    # Given zones "021" and "21" both exist
    bundle = csv_bundle()

    # When
    result = read_orders_csv(("order_id,zone,sku\n" + rows).encode(), bundle)

    # Then "021" is zone position 0 and "21" position 1, not the same number 21
    assert as_orders(result, bundle) == Counter({("021", (1,)): 1, ("21", (2,)): 1})


def test_read_orders_csv__header_only__zero_orders() -> None:
    # Given
    bundle = csv_bundle()

    # When
    result = read_orders_csv(b"order_id,zone,sku\n", bundle)

    # Then
    assert len(result.order_zone) == len(result.item_order) == len(result.item_sku) == 0


@pytest.mark.parametrize("kind", ["bytes", "str", "path"])
def test_read_orders_csv__bytes_text_or_path__same_orders(kind: str, tmp_path: Path) -> None:
    # Given the same CSV as bytes, as text, or as a file
    bundle = csv_bundle()
    text = "order_id,zone,sku\n1,021,5\n1,021,6\n2,100,7\n"
    path = tmp_path / "orders.csv"
    path.write_text(text)
    inputs: dict[str, bytes | str | Path] = {"bytes": text.encode(), "str": text, "path": path}

    # When
    result = read_orders_csv(inputs[kind], bundle)

    # Then
    assert as_orders(result, bundle) == Counter({("021", (5, 6)): 1, ("100", (7,)): 1})


def test_read_orders_csv__windows_line_endings_and_no_final_newline__read_alike() -> None:
    # Given a CSV saved by a spreadsheet: CRLF line ends, no newline after the last row
    bundle = csv_bundle()

    # When
    result = read_orders_csv(b"order_id,zone,sku\r\n1,021,5\r\n2,100,7", bundle)

    # Then
    assert as_orders(result, bundle) == Counter({("021", (5,)): 1, ("100", (7,)): 1})


def test_read_orders_csv__largest_sku_in_the_catalogue__accepted() -> None:
    # Given catalog 1000 (SKUs 0..999) and no demand.yaml (catalog 100000: SKUs 0..99999)
    # When
    small = read_orders_csv(b"order_id,zone,sku\n1,021,999\n", csv_bundle(catalog=1000))
    default = read_orders_csv(b"order_id,zone,sku\n1,021,99999\n", csv_bundle(catalog=None))

    # Then
    assert small.item_sku.tolist() == [999]
    assert default.item_sku.tolist() == [99999]


# ---------------------------------------------------------------------------------------------
# Rejections: OrdersError naming the row (the header is row 1)


@pytest.mark.parametrize(
    ("rows", "bad_row", "mentions"),
    [
        # an unknown zone; "0021" is not "021" either
        ("1,021,5\n2,999,6\n", 3, "999"),
        ("1,021,5\n2,0021,6\n", 3, "0021"),
        # SKUs that are not whole numbers
        ("1,021,5\n2,021,abc\n", 3, "abc"),
        ("1,021,1.5\n", 2, "1.5"),
        ("1,021,\n", 2, "sku"),
        # negative SKU, SKU at or past the catalogue (1000 here: SKUs 0..999)
        ("1,021,5\n2,021,-1\n", 3, "-1"),
        ("1,021,5\n2,021,6\n3,021,1000\n", 4, "1000"),
        # too few or too many fields
        ("1,021\n", 2, ""),
        ("1,021,5\n2,021,6,7\n", 3, ""),
        # one order_id naming two zones: the row that disagrees is wrong
        ("1,021,5\n1,100,6\n", 3, "100"),
        # rows are lines of the file: a blank line still counts
        ("1,021,5\n\n2,999,6\n", 4, "999"),
    ],
    ids=["unknown-zone", "zone-with-extra-zero", "sku-not-a-number", "sku-decimal", "sku-empty",
         "sku-negative", "sku-past-catalog", "too-few-fields", "too-many-fields",
         "order-in-two-zones", "after-a-blank-line"],
)
def test_read_orders_csv__bad_row__orders_error_names_the_row(
    rows: str, bad_row: int, mentions: str,
) -> None:
    # Given a CSV with one bad row
    # When
    message = rejection("order_id,zone,sku\n" + rows)

    # Then
    assert_names_row(message, bad_row)
    assert mentions in message


def test_read_orders_csv__sku_past_default_catalog__rejected() -> None:
    # Given no demand.yaml: the catalogue is 100000 SKUs, 0..99999
    # When
    message = rejection("order_id,zone,sku\n1,021,100000\n", csv_bundle(catalog=None))

    # Then
    assert_names_row(message, 2)
    assert "100000" in message


@pytest.mark.parametrize(
    "header",
    ["order_id,zone", "order,zone,sku", "order_id,zone,sku,qty", "1,021,5"],
    ids=["missing-column", "misnamed-column", "extra-column", "no-header"],
)
def test_read_orders_csv__wrong_header__orders_error_names_row_1(header: str) -> None:
    # Given
    # When
    message = rejection(f"{header}\n1,021,5\n")

    # Then
    assert_names_row(message, 1)


def test_orders_error__is_a_value_error() -> None:
    # Given / When / Then: callers that catch ValueError for bad input catch it too
    assert issubclass(OrdersError, ValueError)


# ---------------------------------------------------------------------------------------------
# Generated demand (demand.yaml): 1 + Poisson(mean - 1) items, Zipf SKUs, exact orders per zone


def demand_bundle(
    demand: Sections | None, *, per_zone: tuple[int | None, ...] = (12_000, 8_000, 0),
) -> Bundle:
    ids = ["001", "002", "003", "004"][: len(per_zone)]
    return build(
        facilities=[fc("FC-A"), ds("DS-A")],
        zones=[zone(zid, "DS-A", demand=count) for zid, count in zip(ids, per_zone, strict=True)],
        lanes=[lane("FC-A", "DS-A")],
        regions=[region("A", ids, ["FC-A", "DS-A"])],
        routes=[route("nearest", region="*")],
        demand=demand,
    )


ZIPF_DEMAND = {"catalog": 1000, "zipf": 1.1, "items_per_order": 1.6, "seed": 7}


def items_per_order(result: Orders) -> np.ndarray:
    return np.bincount(result.item_order, minlength=len(result.order_zone))


def test_generate_orders__zone_demands__exactly_that_many_orders_per_zone() -> None:
    # Given zones with demand 12000, 8000, 0 and one without demand (the lead's reading: none)
    bundle = demand_bundle(ZIPF_DEMAND, per_zone=(12_000, 8_000, 0, None))

    # When
    result = generate_orders(bundle)

    # Then
    assert np.bincount(result.order_zone, minlength=4).tolist() == [12_000, 8_000, 0, 0]


def test_generate_orders__same_seed__identical_orders() -> None:
    # Given
    bundle = demand_bundle(ZIPF_DEMAND)

    # When
    first, second = generate_orders(bundle), generate_orders(demand_bundle(ZIPF_DEMAND))

    # Then
    for name in ("order_zone", "item_order", "item_sku"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name


def test_generate_orders__different_seed__different_skus() -> None:
    # Given
    other = ZIPF_DEMAND | {"seed": 8}

    # When
    first, second = generate_orders(demand_bundle(ZIPF_DEMAND)), generate_orders(
        demand_bundle(other))

    # Then
    same_length = len(first.item_sku) == len(second.item_sku)
    assert not (same_length and np.array_equal(first.item_sku, second.item_sku))


def test_generate_orders__items_per_order_1_6__one_plus_poisson_0_6_items() -> None:
    # Given 20,000 orders with items_per_order 1.6
    result = generate_orders(demand_bundle(ZIPF_DEMAND))

    # When
    counts = items_per_order(result)

    # Then every order has at least one item and items - 1 is Poisson(0.6): mean 0.6 and
    # variance 0.6. Standard errors over n = 20000: mean sqrt(0.6 / n) = 0.0055; variance
    # sqrt((0.6 + 2 x 0.6^2) / n) = 0.0081. Five standard errors each.
    n = len(counts)
    assert n == 20_000
    assert counts.min() >= 1
    assert abs(counts.mean() - 1.6) < 5 * math.sqrt(0.6 / n)
    assert abs(counts.var() - 0.6) < 5 * math.sqrt((0.6 + 2 * 0.6**2) / n)
    # the item arrays belong together and every item names a real order
    assert len(result.item_order) == len(result.item_sku)
    assert result.item_order.min() >= 0 and result.item_order.max() < n


def test_generate_orders__items_per_order_1__single_item_orders() -> None:
    # Given
    result = generate_orders(demand_bundle(ZIPF_DEMAND | {"items_per_order": 1}))

    # Then
    assert items_per_order(result).tolist() == [1] * 20_000


def test_generate_orders__zipf_1_1__sku_frequencies_follow_1_over_k_plus_1_to_the_1_1() -> None:
    # Given catalog 1000, zipf 1.1
    result = generate_orders(demand_bundle(ZIPF_DEMAND))

    # When
    skus = result.item_sku
    counts = np.bincount(skus, minlength=1000)

    # Then every SKU is in 0..999, SKU 0 is the most frequent, and the counts of the ten most
    # popular SKUs and of the tail (SKU >= 100) are within 5 binomial standard errors of
    # n x P(k), P(k) = (k + 1)^-1.1 / sum over j = 1..1000 of j^-1.1
    assert skus.min() >= 0 and skus.max() < 1000
    assert int(np.argmax(counts)) == 0
    weights = 1.0 / np.arange(1, 1001, dtype=float) ** 1.1
    p = weights / weights.sum()
    n = len(skus)
    buckets = [(k, k + 1) for k in range(10)] + [(100, 1000)]
    for low, high in buckets:
        expected = n * p[low:high].sum()
        sd = math.sqrt(expected * (1 - p[low:high].sum()))
        assert abs(counts[low:high].sum() - expected) < 5 * sd, (low, high)
    # and popularity falls with rank: SKU 0 about 2^1.1 = 2.14 times as frequent as SKU 1
    assert counts[0] > counts[1] > counts[2] > counts[5] > counts[50]


def test_generate_orders__zipf_0__uniform_over_the_catalogue() -> None:
    # Given zipf 0: every SKU equally likely
    result = generate_orders(demand_bundle(ZIPF_DEMAND | {"catalog": 10, "zipf": 0}))

    # When
    counts = np.bincount(result.item_sku, minlength=10)

    # Then each of the 10 SKUs gets n / 10 within 5 binomial standard errors
    n = len(result.item_sku)
    sd = math.sqrt(n * 0.1 * 0.9)
    assert len(counts) == 10
    assert np.all(np.abs(counts - n / 10) < 5 * sd), counts.tolist()


def test_generate_orders__no_demand_yaml__the_documented_defaults() -> None:
    # Given a bundle without demand.yaml, and one whose demand.yaml spells out the defaults
    implicit = generate_orders(demand_bundle(None))
    explicit = generate_orders(demand_bundle(
        {"catalog": 100_000, "zipf": 1.1, "items_per_order": 1.6, "seed": 7}))

    # Then the same orders, SKUs within 0..99999
    for name in ("order_zone", "item_order", "item_sku"):
        assert np.array_equal(getattr(implicit, name), getattr(explicit, name)), name
    assert implicit.item_sku.max() < 100_000
    assert abs(items_per_order(implicit).mean() - 1.6) < 0.03


# ---------------------------------------------------------------------------------------------
# Bounds: what one generated day may cost (issue 12)


@pytest.mark.parametrize(("demand", "named"), [
    ({"catalog": 10**12}, "demand.yaml.catalog: Input should be less than or equal to 10000000"),
    ({"items_per_order": 101}, "demand.yaml.items_per_order: Input should be less than or equal"),
    ({"zipf": 11}, "demand.yaml.zipf: Input should be less than or equal to 10"),
    ({"seed": -1}, "demand.yaml.seed: Input should be greater than or equal to 0"),
], ids=["catalog", "items_per_order", "zipf", "seed"])
def test_generate_orders__setting_out_of_bounds__demand_error_naming_it(
        demand: Sections, named: str) -> None:
    """A catalogue of 10^12 SKUs asked numpy for a 7.28 TiB Zipf table (MemoryError); a
    negative seed was numpy's ValueError. Now each is refused before anything is allocated."""
    with pytest.raises(DemandError) as caught:
        generate_orders(demand_bundle(demand))

    assert str(caught.value).startswith(named), caught.value


def test_generate_orders__orders_times_items_over_the_limit__demand_error_saying_it() -> None:
    # Given 20,000 orders a day and 100 items per order (each within its range): 2 M items
    bundle = demand_bundle({"items_per_order": 100})

    # When the limit is 1 M items, the day is refused with the arithmetic and the limit
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demand_module, "MAX_ITEMS", 1_000_000)
        with pytest.raises(DemandError) as caught:
            generate_orders(bundle)

    assert str(caught.value) == (
        "demand.yaml.items_per_order: 100 items per order x 20,000 orders a day is about "
        "2,000,000 items; one simulation may generate at most 1,000,000 items "
        "(orders x items per order)")


def test_bounded_demand__given_settings__named_demand_and_checked_against_the_bundle() -> None:
    bundle = demand_bundle(None, per_zone=(3_000_000,))

    # 3 M orders at 1.6 items each is 4.8 M items: within MAX_ITEMS; at 2 it is not
    assert bounded_demand(bundle, Demand(items_per_order=1.6)).items_per_order == 1.6
    with pytest.raises(DemandError, match=r"^demand\.items_per_order: 2 items per order x "
                                          r"3,000,000 orders a day is about 6,000,000"):
        bounded_demand(bundle, Demand(items_per_order=2))
    assert MAX_ITEMS == 5_000_000


def test_bounded_demand__at_every_upper_bound_but_the_work__accepted() -> None:
    settings = bounded_demand(demand_bundle(None, per_zone=(10,)), Demand(
        catalog=MAX_CATALOG, zipf=10, items_per_order=100, seed=2**63 - 1))

    assert (settings.catalog, settings.items_per_order) == (MAX_CATALOG, 100)
