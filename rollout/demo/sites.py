"""Facilities at real metro areas: fulfilment centres, sort centres and delivery stations.

Every city is assigned to the nearest table metro of its own region; a metro's population is
the sum of its cities'. Delivery stations go to the biggest cities of each metro (more for big
metros), regional FCs to each region's biggest metros, sort centres to hand-picked hubs, and
three national long-tail FCs to classic distribution towns. Ids come from the metro codes:
FC-ATL1, SC-ATL, DS-ATL3.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rollout.demo.geography import cities, geonames_index, km_matrix
from rollout.demo.metros import METROS
from rollout.demo.regions import REGION_OF_STATE, REGIONS
from rollout.demo.zones import NATIONAL_ORDERS, zones

#: A city belongs to a metro when it lies this close to the metro's centre.
METRO_RADIUS_KM = 100.0
#: One delivery station per this many people of a metro (at least one per metro).
PEOPLE_PER_STATION = 1_100_000
#: Delivery stations of one metro stand at least this far apart.
STATION_SPACING_KM = 12.0
#: Regional FCs in the whole network, shared out by demand; each region gets 3 to 5.
REGIONAL_FCS = 27
#: National long-tail FCs: they stock the slow movers for the whole country and belong to no
#: region (DESIGN section 4 allows such shared buildings). East, centre and west.
NATIONAL_FC_METROS = ("ABE", "SDF", "RNO")
NATIONAL_FC_CAPACITY = 100_000
#: Sort centres by region: metros picked by hand so each region's hubs cover it (the biggest
#: metros would put two of the Mountain region's three in Phoenix and Las Vegas).
SORT_CENTRES: dict[str, tuple[str, ...]] = {
    "NE": ("EWR", "BOS", "SYR"), "MA": ("PHL", "PIT", "RIC"), "SE": ("ATL", "MCO", "CLT", "BNA"),
    "GL": ("CHI", "DTW", "CVG"), "CE": ("MSP", "MCI", "STL"), "SC": ("DFW", "HOU", "MSY"),
    "MT": ("DEN", "SLC", "PHX"), "PC": ("ONT", "OAK", "SEA"),
}
#: FCs of a region stand this far apart at least, so they cover the region rather than pile up
#: in one sprawling metro (Los Angeles, Irvine and Riverside are all big "metros").
FC_SPACING_KM = 150.0
#: FC capacity (packages/day) over the region's orders/day: room for the extra packages of
#: split orders and for a bad day.
FC_HEADROOM = 1.4
#: FCs stand in a suburb this far from the metro centre, where one exists.
SUBURB_KM = (15.0, 60.0)


@dataclass(frozen=True)
class Metro:
    code: str
    name: str
    region: str
    lat: float
    lon: float
    population: int
    cities: tuple[int, ...]  # indexes into geography.cities(), biggest first


@dataclass(frozen=True)
class Site:
    id: str
    kind: str  # fc | sc | ds
    region: str  # "" for a national FC, which belongs to no region
    metro: str
    lat: float
    lon: float
    capacity: int | None = None


@lru_cache(maxsize=1)
def metros() -> tuple[Metro, ...]:
    towns, index = cities(), geonames_index()
    lat = np.array([index[(name, state)][0] for _, name, state in METROS])
    lon = np.array([index[(name, state)][1] for _, name, state in METROS])
    region = np.array([REGION_OF_STATE[state] for _, _, state in METROS])
    town_region = np.array([REGION_OF_STATE[state] for state in towns.state])
    km = km_matrix(towns.lat, towns.lon, lat, lon)
    km[town_region[:, None] != region[None, :]] = np.inf
    home = np.argmin(km, axis=1)
    close = km[np.arange(len(home)), home] < METRO_RADIUS_KM
    result = []
    for m, (code, name, _) in enumerate(METROS):
        members = np.flatnonzero(close & (home == m))  # already biggest first
        result.append(Metro(code=code, name=name, region=str(region[m]), lat=float(lat[m]),
                            lon=float(lon[m]),
                            population=int(towns.population[members].sum()),
                            cities=tuple(int(i) for i in members)))
    return tuple(result)


def _by_size(items: list[Metro]) -> list[Metro]:
    return sorted(items, key=lambda m: (-m.population, m.code))


def _suburb(metro: Metro) -> tuple[float, float]:
    """A point for a big building: the metro's biggest city 15-60 km out, else the centre
    nudged 0.1 degree (never the exact spot of a station, which would make a 0 km lane)."""
    towns = cities()
    for i in metro.cities:
        km = km_matrix(np.array([metro.lat]), np.array([metro.lon]), towns.lat[i:i + 1],
                       towns.lon[i:i + 1])[0, 0]
        if SUBURB_KM[0] <= km <= SUBURB_KM[1]:
            return float(towns.lat[i]), float(towns.lon[i])
    return metro.lat - 0.1, metro.lon + 0.1


def delivery_stations() -> list[Site]:
    towns = cities()
    sites: list[Site] = []
    for metro in metros():
        wanted = max(1, round(metro.population / PEOPLE_PER_STATION))
        chosen: list[int] = []
        for i in metro.cities or ():
            if len(chosen) == wanted:
                break
            if chosen:
                km = km_matrix(towns.lat[i:i + 1], towns.lon[i:i + 1], towns.lat[chosen],
                               towns.lon[chosen])
                if km.min() < STATION_SPACING_KM:
                    continue
            chosen.append(i)
        points = [(float(towns.lat[i]), float(towns.lon[i])) for i in chosen]
        if not points:  # a metro none of whose cities is close enough: use its centre
            points = [(metro.lat, metro.lon)]
        sites.extend(Site(id=f"DS-{metro.code}{n}", kind="ds", region=metro.region,
                          metro=metro.code, lat=lat, lon=lon)
                     for n, (lat, lon) in enumerate(points, start=1))
    return sites


def fulfilment_centres() -> list[Site]:
    demand = region_demand()
    sites: list[Site] = []
    for region in REGIONS:
        count = min(5, max(3, round(REGIONAL_FCS * demand[region.code] / NATIONAL_ORDERS)))
        chosen = _spread(region.code, count, FC_SPACING_KM)
        people = sum(m.population for m in chosen)
        for metro in chosen:
            lat, lon = _suburb(metro)
            # Capacity follows the metro's weight in the region, in steps of 5,000.
            share = FC_HEADROOM * demand[region.code] * metro.population / people
            sites.append(Site(id=f"FC-{metro.code}1", kind="fc", region=region.code,
                              metro=metro.code, lat=lat, lon=lon,
                              capacity=int(np.ceil(share / 5000) * 5000)))
    return sites


def national_fcs() -> list[Site]:
    """The long-tail FCs, in no region (their `region` is empty)."""
    by_code = {m.code: m for m in metros()}
    sites = []
    for code in NATIONAL_FC_METROS:
        lat, lon = _suburb(by_code[code])
        sites.append(Site(id=f"FC-{code}1", kind="fc", region="", metro=code, lat=lat, lon=lon,
                          capacity=NATIONAL_FC_CAPACITY))
    return sites


def sort_centres() -> list[Site]:
    sites: list[Site] = []
    by_code = {m.code: m for m in metros()}
    for region in REGIONS:
        for code in SORT_CENTRES[region.code]:
            metro = by_code[code]
            if metro.region != region.code:
                raise ValueError(f"sort centre metro {code} is not in region {region.code}")
            lat, lon = metro.lat + 0.08, metro.lon - 0.08  # beside the city, not on a station
            sites.append(Site(id=f"SC-{metro.code}", kind="sc", region=region.code,
                              metro=metro.code, lat=lat, lon=lon))
    return sites


def _spread(region: str, count: int, spacing_km: float) -> list[Metro]:
    """The region's biggest metros, skipping any closer than `spacing_km` to one picked."""
    picked: list[Metro] = []
    for metro in _by_size([m for m in metros() if m.region == region]):
        if len(picked) == count:
            break
        if not picked or km_matrix(np.array([metro.lat]), np.array([metro.lon]),
                                   np.array([p.lat for p in picked]),
                                   np.array([p.lon for p in picked])).min() >= spacing_km:
            picked.append(metro)
    return picked


def region_demand() -> dict[str, int]:
    z = zones()
    totals = {r.code: 0 for r in REGIONS}
    for region, orders in zip(z.region, z.demand.tolist(), strict=True):
        totals[region] += orders
    return totals
