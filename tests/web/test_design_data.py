"""The "Design regions" page's drawings: two maps in the same colours, moved zones ringed with
the region they come from, and the K sweep's trade-off panels."""

from __future__ import annotations

import re
from typing import Any

from rollout.domain.bundle import Bundle
from rollout.domain.design.frame import DesignRequest
from rollout.domain.design.regions import region_design
from rollout.web.design_data import base_owners, design_maps, proposal_owners, sweep_chart
from tests.domain.design_instances import random_bundle


def _result(seed: int = 3, regions: int = 2) -> tuple[Bundle, dict[str, Any]]:
    bundle = random_bundle(seed, zones=60, fcs=6, bands=3)
    design = region_design(bundle=bundle, request=DesignRequest(regions=regions))
    return bundle, {"regions": [r.as_dict() for r in design.regions],
                    "moved_zones": design.moved_zones}


def test_design_maps__proposal_with_moves__moved_zones_ringed_with_their_old_region() -> None:
    # Given a proposal of 2 regions for a network of 3 base regions (so zones must move)
    bundle, result = _result()
    base_zones, _ = base_owners(bundle)
    new_zones, _ = proposal_owners(result)
    moved = set(result["moved_zones"])
    assert moved, "the instance should move zones"

    # When the maps are drawn
    current, proposed = design_maps(bundle=bundle, result=result, universe=set())

    # Then the current map shows the base regions, the proposal the new ones
    assert {d.id: d.region for d in current.zones} == base_zones
    assert {d.id: d.region for d in proposed.zones} == new_zones
    # and exactly the moved zones are ringed, each with where it was
    ringed = {d.id: d.moved_from for d in proposed.zones if d.moved_from}
    assert set(ringed) == moved
    assert all(ringed[zone] == base_zones[zone] for zone in ringed)
    assert not any(d.moved_from for d in current.zones)


def test_design_maps__code_on_both_maps__same_colour() -> None:
    bundle, result = _result()
    current, proposed = design_maps(bundle=bundle, result=result, universe=set())
    before = {code: colour for code, colour, _ in current.legend}
    after = {code: colour for code, colour, _ in proposed.legend}
    shared = set(before) & set(after)
    assert shared
    assert all(before[code] == after[code] for code in shared)


def test_sweep_chart__rows_out_of_order__one_panel_per_kpi_with_k_ticks_in_order() -> None:
    rows = [{"regions": k, "in_region_pct": 70 + k, "trucks": 1000 - 10 * k, "fill_pct": 80.0,
             "avg_km": 400 - k, "max_capacity_use_pct": None} for k in (6, 4, 5)]
    svg = str(sweep_chart(rows, chosen=5))
    assert svg.count('class="panel"') == 5
    ticks = re.findall(r'class="tick"[^>]*>(\d+)<', svg)
    assert ticks[:3] == ["4", "5", "6"]
    # the chosen K is marked in every panel; the unknown capacity use draws no point
    assert svg.count('class="marked"') == 5
    assert svg.count("<circle") == 4 * 3
    assert "Largest capacity use" in svg


def test_sweep_chart__no_rows__says_so() -> None:
    assert "no values" in str(sweep_chart([], chosen=None))
