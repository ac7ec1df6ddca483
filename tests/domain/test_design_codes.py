"""Region codes of a proposal: the base code where the region holds most of its zones."""

from __future__ import annotations

import numpy as np

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.design.codes import region_codes, zone_homes, zones_moved
from rollout.domain.network import NetworkIndex
from tests.domain.design_instances import random_bundle


def _base(seed: int = 0) -> tuple[Bundle, Assignment, NetworkIndex]:
    bundle = random_bundle(seed, zones=30, fcs=6, bands=3, capacity=None)
    net = NetworkIndex(bundle.network)
    return bundle, Assignment(bundle, net), net


def test_region_codes__base_partition__base_codes_nothing_moved() -> None:
    # Given the base partition itself as the proposal
    bundle, base, net = _base()
    labels = base.zone_region.copy()

    # When
    codes = region_codes(bundle=bundle, base=base, labels=labels,
                         kept=np.zeros(0, dtype=np.intp), p=3)

    # Then
    assert codes == ["B0", "B1", "B2"]
    assert zones_moved(bundle=bundle, base=base, labels=labels, codes=codes,
                       net=net) == []


def test_region_codes__two_regions_merged__one_keeps_its_code_other_new() -> None:
    # Given B1 and B2 merged into one proposed region, B0 unchanged
    bundle, base, net = _base()
    labels = np.minimum(base.zone_region, 1)

    # When
    codes = region_codes(bundle=bundle, base=base, labels=labels,
                         kept=np.zeros(0, dtype=np.intp), p=2)

    # Then: the merged region takes the code of the larger of the two (all of both held)
    sizes = np.bincount(base.zone_region)
    assert codes[0] == "B0"
    assert codes[1] == ("B1" if sizes[1] >= sizes[2] else "B2")
    moved = zones_moved(bundle=bundle, base=base, labels=labels, codes=codes,
                        net=net)
    loser = "B2" if codes[1] == "B1" else "B1"
    assert len(moved) == sizes[int(loser[1])]


def test_region_codes__no_majority__new_code_not_used_by_the_base() -> None:
    # Given a proposed region made of a third of each base region
    bundle, base, _ = _base()
    labels = np.zeros_like(base.zone_region)
    for region in range(3):
        zones = np.flatnonzero(base.zone_region == region)
        labels[zones[: len(zones) // 3]] = 1
    # region 0 holds two thirds of every base region, region 1 a third

    # When
    codes = region_codes(bundle=bundle, base=base, labels=labels,
                         kept=np.zeros(0, dtype=np.intp), p=2)

    # Then
    assert codes[0] in {"B0", "B1", "B2"}
    assert codes[1] == "R1"


def test_zone_homes__regions_relabelled__matched_back_to_their_base_region() -> None:
    # Given the base partition with its labels permuted
    _, base, _ = _base()
    labels = (base.zone_region + 1) % 3

    # When
    homes = zone_homes(base=base, labels=labels, kept=np.zeros(0, dtype=np.intp), p=3)

    # Then: every zone is at home (the matching undoes the permutation)
    assert (homes == labels).all()
