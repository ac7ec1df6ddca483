"""What the "Design regions" page draws from a finished design: the base version's regions and
the proposal on two maps of the same colours (moved zones ringed, with the region they come
from in their tooltip), and the K sweep as a trade-off chart.

Pure presentation over the design's result (the JSON of `manage.py design_regions --format
json`) and the base version's bundle; nothing here decides anything about the design.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from rollout.domain.assignment import NO_REGION, Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex
from rollout.web.charts import Series, trade_off_panels
from rollout.web.usmap import NetworkMap, network_map, region_colours

#: The sweep's panels: (key in a sweep row, title, unit). The keys are the service's row
#: fields (rollout.services.designs); a missing key draws as "unknown", never as zero.
SWEEP_PANELS = (
    ("in_region_pct", "In-region share", "%"),
    ("trucks", "Trucks", ""),
    ("fill_pct", "Truck fill", "%"),
    ("avg_km", "Km per package", ""),
    ("max_capacity_use_pct", "Largest capacity use", "%"),
)


def base_owners(bundle: Bundle) -> tuple[dict[str, str], dict[str, str]]:
    """Zone id -> region code and facility id -> region code in the bundle's own regions."""
    net = NetworkIndex(bundle.network)
    assignment = Assignment(bundle, net)
    codes = assignment.region_codes
    zones = {zone.id: codes[position]
             for zone, position in zip(bundle.network.zones, assignment.zone_region.tolist(),
                                       strict=True) if position != NO_REGION}
    facilities = {facility.id: codes[position]
                  for facility, position in zip(bundle.network.facilities,
                                                assignment.facility_region.tolist(), strict=True)
                  if position != NO_REGION}
    return zones, facilities


def proposal_owners(result: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Zone id -> region code and facility id -> region code in a design's proposal."""
    zones: dict[str, str] = {}
    facilities: dict[str, str] = {}
    for region in result.get("regions", []):
        zones.update(dict.fromkeys(region.get("zones", []), region["code"]))
        facilities.update(dict.fromkeys(region.get("facilities", []), region["code"]))
    return zones, facilities


def design_maps(*, bundle: Bundle, result: Mapping[str, Any],
                universe: set[str]) -> tuple[NetworkMap, NetworkMap]:
    """The base regions and the proposal, coloured alike: a code keeps its colour on both maps
    (and on every other page, through `universe`, the site's known region codes)."""
    base_zones, base_facilities = base_owners(bundle)
    new_zones, new_facilities = proposal_owners(result)
    colours = region_colours(set(base_zones.values()) | set(new_zones.values()),
                             universe=universe)
    network = bundle.network

    def drawn(zone_owner: dict[str, str], facility_owner: dict[str, str],
              title: str) -> NetworkMap:
        return network_map(
            zones=[(z.id, z.lat, z.lon, zone_owner.get(z.id)) for z in network.zones],
            facilities=[(f.id, f.type, f.lat, f.lon, facility_owner.get(f.id))
                        for f in network.facilities],
            colours=colours, title=title)

    current = drawn(base_zones, base_facilities,
                    f"Now: {len(set(base_zones.values()))} regions of the base version")
    moved = set(result.get("moved_zones", []))
    proposed = drawn(new_zones, new_facilities,
                     f"Proposed: {len(result.get('regions', []))} regions, "
                     f"{len(moved)} zone{'s' * (len(moved) != 1)} moved (ringed)")
    proposed.zones = [dataclasses.replace(dot, moved_from=base_zones.get(dot.id, "none"))
                      if dot.id in moved else dot for dot in proposed.zones]
    for drawing in (current, proposed):  # a region with no zone on one side is not in its key
        drawing.legend = [entry for entry in drawing.legend if entry[2]]
    return current, proposed


def sweep_chart(rows: Sequence[Mapping[str, Any]], *, chosen: int | None) -> str:
    """The K sweep as small multiples, one panel per KPI, the chosen K marked."""
    ordered = sorted(rows, key=lambda row: int(row["regions"]))
    xs = [int(row["regions"]) for row in ordered]
    series = [Series(title=title, unit=unit,
                     values=[_number(row.get(key)) for row in ordered])
              for key, title, unit in SWEEP_PANELS]
    return trade_off_panels(xs, series, marked=chosen,
                            title="K sweep: what each number of regions gives")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
