"""Region design: the medians are optimal on small instances, every constraint holds or is
reported on random instances, and the guarantees (a region per zone, an FC per region, kept
regions exact) always hold."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rollout.demo import demo_bundles
from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.design.adjacency import components, zone_adjacency
from rollout.domain.design.costs import zone_fc_km
from rollout.domain.design.files import proposal_files
from rollout.domain.design.frame import DesignError, DesignRequest
from rollout.domain.design.regions import RegionDesign, region_design
from rollout.domain.network import NetworkIndex
from rollout.domain.validate import validate_files
from tests.domain.design_instances import random_bundle


def _assert_guarantees(bundle: Bundle, design: RegionDesign, k: int) -> None:
    zones = [zone for region in design.regions for zone in region.zones]
    assert sorted(zones) == sorted(z.id for z in bundle.network.zones)  # each zone once
    facilities = [f for region in design.regions for f in region.facilities]
    assert len(facilities) == len(set(facilities))
    fcs = {f.id for f in bundle.network.facilities if f.type == "fc"}
    assert all(fcs & set(region.facilities) for region in design.regions)
    assert len(design.regions) == k
    assert len({region.code for region in design.regions}) == k
    assert all(region.zones for region in design.regions)


def test_region_design__small_instances__medians_equal_brute_force() -> None:
    for seed in range(6):
        # Given a small network without capacities
        bundle = random_bundle(seed, zones=12, fcs=5, capacity=None)
        k = 2 + seed % 2

        # When
        design = region_design(bundle=bundle, request=DesignRequest(regions=k))

        # Then: the p-median objective is the brute-force optimum over every K FCs
        net = NetworkIndex(bundle.network)
        fcs = net.fc_positions
        km = zone_fc_km(net, fcs)
        weights = net.zone_demand.astype(float)
        best, chosen = min((float(weights @ km[:, list(c)].min(axis=1)), c)
                           for c in itertools.combinations(range(fcs.size), k))
        assert design.stats["pmedian_objective"] == pytest.approx(best, rel=1e-9)
        # and, unconstrained, every zone is served by its region's cheapest FC no worse than
        # by its median: the objective (own region's cheapest FC) is at most the p-median's,
        # unless the optimum left a median without a zone (tied path costs) and a zone had to
        # move to it (every region has a zone: `_assert_guarantees`)
        if np.unique(km[:, list(chosen)].argmin(axis=1)).size == k:
            assert design.objective <= best * (1 + 1e-9)
        _assert_guarantees(bundle, design, k)
        assert design.violations == []


@pytest.mark.parametrize("seed", range(8))
def test_region_design__random_with_capacity_and_contiguity__respected_or_reported(
        seed: int) -> None:
    # Given a random network with FC capacities
    bundle = random_bundle(seed, zones=70, fcs=9)
    request = DesignRequest(regions=4, contiguous=True, headroom=0.1)

    # When
    design = region_design(bundle=bundle, request=request)

    # Then: each region is one connected area, and within capacity unless reported
    _assert_guarantees(bundle, design, 4)
    net = NetworkIndex(bundle.network)
    adjacency = zone_adjacency(net.zone_lat, net.zone_lon)
    for region in design.regions:
        members = np.array([net.zones.position[z] for z in region.zones])
        assert len(components(adjacency, members)) == 1, region.code
        within = region.capacity is None or region.demand <= region.capacity * 0.9 + 1e-6
        assert within or any(f"region {region.code}:" in v for v in design.violations)
    assert not any("separate areas" in v for v in design.violations)


@pytest.mark.parametrize("seed", range(6))
def test_region_design__ample_capacity__no_region_over_it(seed: int) -> None:
    # Given capacities that the network can meet, though not every region by itself
    bundle = random_bundle(seed, zones=60, fcs=8, capacity=(40_000, 80_000))
    total = sum(z.demand or 0 for z in bundle.network.zones)

    # When
    design = region_design(bundle=bundle, request=DesignRequest(regions=3, headroom=0.2))

    # Then
    assert total < 0.8 * sum(f.capacity or 0 for f in bundle.network.facilities)
    assert design.violations == []
    for region in design.regions:
        assert region.capacity is not None and region.demand <= 0.8 * region.capacity + 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_region_design__balance_bound__met_or_reported(seed: int) -> None:
    # Given an unlimited network and a balance bound of 1.5
    bundle = random_bundle(seed, zones=60, fcs=8, capacity=None)

    # When
    design = region_design(bundle=bundle,
                           request=DesignRequest(regions=4, balance=1.5, contiguous=True))

    # Then: the ratio is within the bound or the violation says so
    demands = [region.demand for region in design.regions]
    ratio = max(demands) / min(demands)
    assert ratio <= 1.5 + 1e-9 or any(v.startswith("balance:") for v in design.violations)
    unbalanced = region_design(bundle=bundle, request=DesignRequest(regions=4, contiguous=True))
    old = [region.demand for region in unbalanced.regions]
    assert ratio <= max(old) / min(old) + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_region_design__keep_and_max_moves__kept_exactly_and_moves_bounded(seed: int) -> None:
    # Given base regions in three longitude bands
    bundle = random_bundle(seed, zones=60, fcs=8, capacity=None)
    base = {r.code: r for r in bundle.regions.regions}

    # When B0 is kept and at most 5 zones may move
    design = region_design(bundle=bundle, request=DesignRequest(
        regions=3, keep=("B0",), max_moves=5, contiguous=True))

    # Then: B0 exactly as it was; at most 5 zones moved
    kept = next(r for r in design.regions if r.code == "B0")
    assert set(kept.zones) == set(base["B0"].zones)
    assert set(kept.facilities) == set(base["B0"].facilities)
    assert kept.name == base["B0"].name
    moved = [z for r in design.regions for z in r.zones
             if r.code not in base or z not in set(base[r.code].zones)]
    assert sorted(moved) == sorted(design.moved_zones)
    assert len(moved) <= 5
    assert design.violations == []
    _assert_guarantees(bundle, design, 3)


def test_region_design__every_region_kept__the_base_regions_unchanged() -> None:
    # Given base regions, all of them kept (nothing left to draw: a design that changes nothing)
    bundle = random_bundle(2, zones=40, fcs=6, capacity=None)
    codes = tuple(r.code for r in bundle.regions.regions)

    # When
    design = region_design(bundle=bundle, request=DesignRequest(regions=len(codes),
                                                                keep=codes))

    # Then every region is as it was, nothing moved, nothing missed
    assert design.moved_zones == [] and design.violations == []
    assert {r.code: (set(r.zones), set(r.facilities)) for r in design.regions} == {
        r.code: (set(r.zones), set(r.facilities)) for r in bundle.regions.regions}


def test_region_design__max_moves_zero_same_k__base_regions_back() -> None:
    # Given base regions and no moves allowed
    bundle = random_bundle(3, zones=40, fcs=6, capacity=None)

    # When
    design = region_design(bundle=bundle, request=DesignRequest(regions=3, max_moves=0))

    # Then: every zone back in its base region, under its base code
    assert design.moved_zones == []
    assert {r.code: set(r.zones) for r in design.regions} == {
        r.code: set(r.zones) for r in bundle.regions.regions}


def test_region_design__codes__base_code_for_majority_else_new() -> None:
    # Given base regions, redesigned with as many regions
    bundle = random_bundle(1, zones=60, fcs=8, capacity=None)
    base = {r.code: set(r.zones) for r in bundle.regions.regions}

    # When
    design = region_design(bundle=bundle, request=DesignRequest(regions=5))

    # Then: a base code only where the region holds more than half of that region's zones
    for region in design.regions:
        if region.code in base:
            assert 2 * len(set(region.zones) & base[region.code]) > len(base[region.code])
        else:
            assert region.code.startswith("R")
            assert region.name.startswith(f"Region {region.code}")


def test_region_design__unreachable_station__left_out_and_listed() -> None:
    # Given a station no FC has a lane to
    bundle = random_bundle(2, zones=30, fcs=5, capacity=None)
    lanes = [lane for lane in bundle.network.lanes if lane.to != "DS-0"]
    bundle = Bundle(network=bundle.network.model_copy(update={"lanes": lanes}),
                    regions=bundle.regions, routing=bundle.routing)

    # When
    design = region_design(bundle=bundle, request=DesignRequest(regions=2))

    # Then
    assert design.shared == ["DS-0"]
    assert all("DS-0" not in region.facilities for region in design.regions)


@pytest.mark.parametrize(("request_", "message"), [
    (DesignRequest(regions=0), "at least 1"),
    (DesignRequest(regions=9), "fulfilment centre"),
    (DesignRequest(regions=3, keep=("XX",)), "unknown region(s) XX"),
    (DesignRequest(regions=1, keep=("B0", "B1")), "fewer than the 2 regions to keep"),
    (DesignRequest(regions=3, headroom=1.0), "--headroom"),
    (DesignRequest(regions=3, balance=0.5), "--balance"),
    (DesignRequest(regions=3, max_moves=-1), "--max-moves"),
])
def test_region_design__unusable_request__design_error_names_it(
        request_: DesignRequest, message: str) -> None:
    # Given a network with 8 FCs and three base regions
    bundle = random_bundle(0, zones=30, fcs=8, capacity=None)

    # When / Then
    with pytest.raises(DesignError, match=message.replace("(", r"\(").replace(")", r"\)")):
        region_design(bundle=bundle, request=request_)


def test_region_design__base_assignment_unchanged_by_design() -> None:
    # Given a bundle
    bundle = random_bundle(4, zones=30, fcs=5, capacity=None)
    before = Assignment(bundle, NetworkIndex(bundle.network)).zone_region.copy()

    # When
    region_design(bundle=bundle, request=DesignRequest(regions=2, contiguous=True))

    # Then: the bundle is read, never changed
    assert (Assignment(bundle, NetworkIndex(bundle.network)).zone_region == before).all()


def test_region_design__demo_k8__every_regional_facility_placed_and_no_check_error() -> None:
    # Given the demo's national version (eight hand-made regions; three national FCs in none)
    demo = next(d for d in demo_bundles() if d.name == "all-eight")
    files = dict(demo.files)
    bundle = validate_files(files, max_bytes=1 << 26).bundle
    assert bundle is not None

    # When
    design = region_design(bundle=bundle, request=DesignRequest(
        regions=8, contiguous=True, headroom=0.1))
    report = validate_files(proposal_files(files=files, network=bundle.network, design=design),
                            max_bytes=1 << 26)

    # Then: every facility a base region lists is in a proposed region, the national FCs in
    # none, and the checks find no error (E131: every station reached in its region)
    base = Assignment(bundle, NetworkIndex(bundle.network))
    listed = {f for region in bundle.regions.regions for f in region.facilities}
    placed = {f for region in design.regions for f in region.facilities}
    assert design.shared == []
    assert placed == listed
    assert all(base.facility_region[base.net.facility_position[f]] < 0 for f in
               {f.id for f in bundle.network.facilities} - placed)
    assert report.errors == 0, [f.message for f in report.findings if f.severity == "error"]
