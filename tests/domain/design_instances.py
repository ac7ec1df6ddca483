"""Random region-design instances for domain tests: a typed bundle with zones, FCs, stations,
lanes from every FC to every station, and base regions in longitude bands."""

from __future__ import annotations

import numpy as np

from rollout.domain.bundle import Bundle
from rollout.domain.schema import Facility, Lane, Network, Region, Regions, Route, Routing, Zone


def random_bundle(seed: int, *, zones: int = 60, fcs: int = 8, bands: int = 3,
                  capacity: tuple[int, int] | None = (20_000, 60_000)) -> Bundle:
    """`zones` zones and `fcs` FCs at random in a 15° x 25° box, a station per ~8 zones, and
    `bands` base regions cut by longitude (each with at least one FC)."""
    rng = np.random.default_rng(seed)
    zone_lat, zone_lon = rng.uniform(30, 45, zones), rng.uniform(-100, -75, zones)
    edges = np.quantile(zone_lon, np.linspace(0, 1, bands + 1)[1:-1])
    fc_lon = np.concatenate([rng.uniform(lo, hi, 1) for lo, hi in
                             zip([-100, *edges], [*edges, -75], strict=True)]
                            + [rng.uniform(-100, -75, fcs - bands)])
    fc_lat = rng.uniform(30, 45, fcs)
    stations = max(1, zones // 8)
    ds_lat, ds_lon = rng.uniform(30, 45, stations), rng.uniform(-100, -75, stations)
    facilities = [
        Facility(id=f"FC-{j}", type="fc", lat=float(fc_lat[j]), lon=float(fc_lon[j]),
                 capacity=None if capacity is None else int(rng.integers(*capacity)))
        for j in range(fcs)
    ] + [Facility(id=f"DS-{s}", type="ds", lat=float(ds_lat[s]), lon=float(ds_lon[s]))
         for s in range(stations)]
    near = np.argmin((zone_lat[:, None] - ds_lat) ** 2 + (zone_lon[:, None] - ds_lon) ** 2, 1)
    zone_list = [Zone(id=f"{i:03d}", lat=float(zone_lat[i]), lon=float(zone_lon[i]),
                      station=f"DS-{near[i]}", demand=int(rng.integers(100, 3000)))
                 for i in range(zones)]
    lanes = [Lane.model_validate({"from": f"FC-{j}", "to": f"DS-{s}"})
             for j in range(fcs) for s in range(stations)]
    band_of_zone = np.searchsorted(edges, zone_lon)
    band_of_fc = np.searchsorted(edges, fc_lon)
    band_of_ds = np.searchsorted(edges, ds_lon)
    regions = [Region(code=f"B{b}", name=f"Band {b}",
                      zones=[z.id for i, z in enumerate(zone_list) if band_of_zone[i] == b],
                      facilities=[f"FC-{j}" for j in range(fcs) if band_of_fc[j] == b]
                      + [f"DS-{s}" for s in range(stations) if band_of_ds[s] == b])
               for b in range(bands)]
    return Bundle(network=Network(facilities=facilities, zones=zone_list, lanes=lanes),
                  regions=Regions(regions=regions),
                  routing=Routing(routes=[Route(region="*", fcs="nearest")]))
