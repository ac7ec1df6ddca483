"""The scaling grid's demand scaling gives exact order counts (no timings here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.generate_bundle import generate_bundle
from bench.scaling import with_total_demand
from rollout.domain.bundle import Bundle, parse_bundle, read_bundle_path
from rollout.domain.demand import generate_orders

SMALL = {"zones": 300, "facilities": 60, "lanes": 200, "regions": 4, "seed": 3}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    path: Path = tmp_path_factory.mktemp("bundle")
    generate_bundle(path, **SMALL)
    parsed = parse_bundle(read_bundle_path(path))
    assert parsed.bundle is not None
    return parsed.bundle


@pytest.mark.parametrize("total", [1, 299, 12_345, 100_000])
def test_with_total_demand__any_total__generates_exactly_that_many_orders(
    bundle: Bundle, total: int
) -> None:
    # When the zones' demands are scaled to a total
    scaled = with_total_demand(bundle, total)

    # Then the zones place exactly that many orders, and the original bundle is unchanged
    assert generate_orders(scaled).n_orders == total
    assert sum(z.demand or 0 for z in scaled.network.zones) == total
    assert scaled.network.zones is not bundle.network.zones
    assert [z.id for z in scaled.network.zones] == [z.id for z in bundle.network.zones]


def test_with_total_demand__ten_times__every_zone_ten_times(bundle: Bundle) -> None:
    # Given the generated demand's total
    before = [z.demand or 0 for z in bundle.network.zones]

    # When it is scaled by exactly ten
    scaled = with_total_demand(bundle, 10 * sum(before))

    # Then every zone's demand is ten times its own
    assert [z.demand for z in scaled.network.zones] == [10 * d for d in before]
