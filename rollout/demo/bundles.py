"""The three demo versions: national, Northeast and Mid-Atlantic regionalised, all eight.

Each version is a complete bundle (network.yaml, regions.yaml, routing.yaml, demand.yaml). The
physical network and the regions are the same in all three; what changes is the routing table
and what the regionalised regions' FCs stock, the "software setting" of DESIGN section 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rollout.demo.geography import nearest
from rollout.demo.lanes import Lane, build_lanes
from rollout.demo.regions import REGIONS
from rollout.demo.sites import (
    Site,
    delivery_stations,
    fulfilment_centres,
    national_fcs,
    sort_centres,
)
from rollout.demo.stock import CATALOG, REGIONAL_SKUS, national_slices, stock_ranges
from rollout.demo.yamltext import demand_yaml, network_yaml, regions_yaml, routing_yaml
from rollout.demo.zones import Zones, zones


@dataclass(frozen=True)
class DemoVersion:
    name: str
    message: str
    files: dict[str, bytes]


@dataclass(frozen=True)
class DemoNetwork:
    """Everything the versions share."""

    facilities: dict[str, list[Site]]  # by kind: fc, sc, ds, each sorted by id
    zones: Zones
    station: list[str]  # per zone: its delivery station
    lanes: dict[str, list[Lane]]
    zone_ranges: dict[str, list[str]]  # region code -> zone id ranges for regions.yaml


_TOP = f"top {REGIONAL_SKUS * 100 // CATALOG}%"
#: (name, message, regionalised regions), in rollout order; each version's parent is the one
#: before it.
VERSIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("national", "Demo: US network with national routing: every FC ships to every zone, each FC "
     "stocks the head of the catalogue plus its own slice", ()),
    ("ne-ma", f"Demo: Regionalise Northeast and Mid-Atlantic: their zones ship from their own "
     f"FCs, which now stock the {_TOP} of SKUs", ("NE", "MA")),
    ("all-eight", f"Demo: Regionalise all eight regions: every zone ships from its region's "
     f"FCs, which all stock the {_TOP} of SKUs", tuple(r.code for r in REGIONS)),
)


@lru_cache(maxsize=1)
def demo_network() -> DemoNetwork:
    facilities = {"fc": _by_id(fulfilment_centres() + national_fcs()),
                  "sc": _by_id(sort_centres()),
                  "ds": _by_id(delivery_stations())}
    z = zones()
    return DemoNetwork(
        facilities=facilities,
        zones=z,
        station=_stations(z, facilities["ds"]),
        lanes=build_lanes(facilities["fc"], facilities["sc"], facilities["ds"]),
        zone_ranges=_zone_ranges(z),
    )


def _by_id(sites: list[Site]) -> list[Site]:
    return sorted(sites, key=lambda site: site.id)


def _stations(z: Zones, dss: list[Site]) -> list[str]:
    """Each zone's station: the nearest delivery station of the zone's own region."""
    station = [""] * len(z.ids)
    regions = np.array(z.region)
    for region in REGIONS:
        own = [ds for ds in dss if ds.region == region.code]
        rows = np.flatnonzero(regions == region.code)
        pick = nearest(z.lat[rows], z.lon[rows], np.array([d.lat for d in own]),
                       np.array([d.lon for d in own]))
        for row, k in zip(rows.tolist(), pick.tolist(), strict=True):
            station[row] = own[k].id
    return station


def _zone_ranges(z: Zones) -> dict[str, list[str]]:
    """Runs of consecutive zone ids (in id order) of one region, as "first-last" ranges.

    A range holds every zone id between its ends, so a run is only cut where a zone of
    another region comes between: ZIP3 numbering follows states, so regions get a few ranges.
    """
    ranges: dict[str, list[str]] = {r.code: [] for r in REGIONS}
    start = 0
    for i in range(1, len(z.ids) + 1):
        if i == len(z.ids) or z.region[i] != z.region[start]:
            first, last = z.ids[start], z.ids[i - 1]
            ranges[z.region[start]].append(first if first == last else f"{first}-{last}")
            start = i
    return ranges


def demo_bundles() -> list[DemoVersion]:
    """The three versions in rollout order; the same bytes on every run."""
    network = demo_network()
    fcs = network.facilities["fc"]
    slices = national_slices(fcs)
    members = {r.code: [s.id for kind in ("fc", "sc", "ds") for s in network.facilities[kind]
                        if s.region == r.code] for r in REGIONS}
    regions = regions_yaml(network.zone_ranges, members).encode()
    demand = demand_yaml().encode()
    versions = []
    for name, message, regionalised in VERSIONS:
        title = message.removeprefix("Demo: ")
        stock = {fc.id: stock_ranges(fc, slices, fc.region in regionalised) for fc in fcs}
        files = {
            "network.yaml": network_yaml(title, network.facilities, stock, network.zones,
                                         network.station, network.lanes).encode(),
            "regions.yaml": regions,
            "routing.yaml": routing_yaml(title, list(regionalised)).encode(),
            "demand.yaml": demand,
        }
        versions.append(DemoVersion(name=name, message=message, files=files))
    return versions
