"""Regions, facilities and zones of the synthetic network.

Regions are longitude bands over the lower-48 bounding box, west to east. Every facility and
every zone lies inside its region's band, so "nearest" and "in region" mostly agree and the
bundle stays free of warnings that would only be artefacts of the generator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bench.gen.geo import FloatArray, pairwise_km

LAT_MIN, LAT_MAX = 25.0, 49.0
LON_MIN, LON_MAX = -124.0, -67.0
#: Shares of the facility count; the rest are delivery stations (~130 FC, ~170 SC per 1,300).
FC_SHARE, SC_SHARE = 0.10, 0.13
#: Mean orders/day per zone: 40,000 zones place about 1,000,000 orders a day.
ORDERS_PER_ZONE = 25
#: Region FC capacity over region demand, so W160 (capacity below demand) never fires.
FC_HEADROOM = 1.5


@dataclass(frozen=True)
class RegionSpec:
    index: int
    code: str
    name: str
    lon_lo: float
    lon_hi: float


@dataclass(frozen=True)
class Site:
    id: str
    kind: str  # fc | sc | ds
    region: int
    lat: float
    lon: float
    capacity: int | None = None
    stock: str | None = None  # YAML text of `stock:` when not the default


@dataclass
class Zones:
    """Zones in id order; ids are contiguous within a region and within a station."""

    ids: list[str]
    lat: FloatArray
    lon: FloatArray
    region: np.ndarray
    station: list[str]
    demand: np.ndarray


@dataclass
class Network:
    regions: list[RegionSpec]
    sites: list[Site]
    zones: Zones

    def sites_of(self, region: int, kind: str) -> list[Site]:
        return [s for s in self.sites if s.region == region and s.kind == kind]


def split_evenly(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def facility_counts(facilities: int, regions: int) -> tuple[int, int, int]:
    """(fc, sc, ds) totals; every region gets at least one of each."""
    fcs = max(regions, round(facilities * FC_SHARE))
    scs = max(regions, round(facilities * SC_SHARE))
    dss = facilities - fcs - scs
    if dss < regions:
        raise ValueError(f"{facilities} facilities are too few for {regions} regions")
    return fcs, scs, dss


def make_regions(count: int) -> list[RegionSpec]:
    width = (LON_MAX - LON_MIN) / count
    digits = len(str(count))
    return [
        RegionSpec(
            index=i,
            code=f"R{i + 1:0{digits}d}",
            name=f"Band {i + 1} (lon {LON_MIN + i * width:.1f} to {LON_MIN + (i + 1) * width:.1f})",
            lon_lo=LON_MIN + i * width,
            lon_hi=LON_MIN + (i + 1) * width,
        )
        for i in range(count)
    ]


def make_network(rng: np.random.Generator, *, zones: int, facilities: int, regions: int) -> Network:
    if zones < regions:
        raise ValueError(f"{zones} zones are too few for {regions} regions")
    specs = make_regions(regions)
    fcs, scs, dss = facility_counts(facilities, regions)
    per_kind = {
        "fc": split_evenly(fcs, regions),
        "sc": split_evenly(scs, regions),
        "ds": split_evenly(dss, regions),
    }
    sites: list[Site] = []
    for spec in specs:
        for kind in ("fc", "sc", "ds"):
            sites.extend(_place_sites(rng, spec, kind, per_kind[kind][spec.index]))
    zone_data = _place_zones(rng, specs, sites, split_evenly(zones, regions))
    sites = _with_capacities(rng, sites, zone_data)
    return Network(regions=specs, sites=sites, zones=zone_data)


def _place_sites(rng: np.random.Generator, spec: RegionSpec, kind: str, count: int) -> list[Site]:
    lats = rng.uniform(LAT_MIN, LAT_MAX, count)
    lons = rng.uniform(spec.lon_lo, spec.lon_hi, count)
    # Ids run north to south, so neighbouring ids are neighbouring buildings.
    order = np.argsort(-lats, kind="stable")
    digits = 3 if kind != "ds" else 4
    return [
        Site(
            id=f"{kind.upper()}-{spec.code}-{n + 1:0{digits}d}",
            kind=kind,
            region=spec.index,
            lat=round(float(lats[i]), 4),
            lon=round(float(lons[i]), 4),
        )
        for n, i in enumerate(order)
    ]


def _place_zones(
    rng: np.random.Generator, specs: list[RegionSpec], sites: list[Site], counts: list[int]
) -> Zones:
    width = max(5, len(str(sum(counts) - 1)))
    lat_parts: list[FloatArray] = []
    lon_parts: list[FloatArray] = []
    region_parts: list[np.ndarray] = []
    stations: list[str] = []
    for spec, count in zip(specs, counts, strict=True):
        lat = np.round(rng.uniform(LAT_MIN, LAT_MAX, count), 3)
        lon = np.round(rng.uniform(spec.lon_lo, spec.lon_hi, count), 3)
        dss = [s for s in sites if s.region == spec.index and s.kind == "ds"]
        km = pairwise_km(lat, lon, np.array([s.lat for s in dss]), np.array([s.lon for s in dss]))
        nearest = km.argmin(axis=1)
        # Sorting by station makes each station's zones one contiguous id range, so routing
        # rules can name them as "00120-00161" like a planner would.
        order = np.lexsort((-lat, nearest))
        lat_parts.append(lat[order])
        lon_parts.append(lon[order])
        region_parts.append(np.full(count, spec.index))
        stations.extend(dss[i].id for i in nearest[order])
    total = sum(counts)
    raw = rng.lognormal(mean=0.0, sigma=0.8, size=total)
    demand = np.maximum(1, np.rint(raw * (ORDERS_PER_ZONE * total / raw.sum()))).astype(np.int64)
    return Zones(
        ids=[f"{i:0{width}d}" for i in range(total)],
        lat=np.concatenate(lat_parts),
        lon=np.concatenate(lon_parts),
        region=np.concatenate(region_parts),
        station=stations,
        demand=demand,
    )


def _with_capacities(rng: np.random.Generator, sites: list[Site], zones: Zones) -> list[Site]:
    region_demand = np.bincount(zones.region, weights=zones.demand)
    station_demand: dict[str, int] = {}
    for station, demand in zip(zones.station, zones.demand.tolist(), strict=True):
        station_demand[station] = station_demand.get(station, 0) + demand
    out: list[Site] = []
    fc_number = 0
    for region in range(len(region_demand)):
        fcs = [s for s in sites if s.region == region and s.kind == "fc"]
        weights = rng.uniform(0.5, 1.5, len(fcs))
        shares = weights / weights.sum() * region_demand[region] * FC_HEADROOM
        for site, share in zip(fcs, shares, strict=True):
            fc_number += 1
            out.append(replace(site, capacity=_round_up(share, 1000), stock=_stock(fc_number)))
        scs = [s for s in sites if s.region == region and s.kind == "sc"]
        per_sc = region_demand[region] * 2 / len(scs)
        out.extend(replace(s, capacity=_round_up(per_sc, 1000)) for s in scs)
        out.extend(
            replace(s, capacity=_round_up(station_demand.get(s.id, 0) * 1.5, 100))
            for s in sites
            if s.region == region and s.kind == "ds"
        )
    return out


def _stock(fc_number: int) -> str | None:
    """A few smaller buildings, so the bundle exercises every `stock` form."""
    if fc_number % 9 == 0:
        return '"top 40%"'
    if fc_number % 13 == 0:
        return '["0-59999", "70000-99999"]'
    return None


def _round_up(value: float, step: int) -> int:
    return max(step, int(-(-value // step) * step))
