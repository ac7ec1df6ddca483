"""Customer zones: lower-48 ZIP3 areas with demand proportional to population."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rollout.demo.geography import ABSORB_KM_PER_SQRT_100K, cities, km_matrix, zip3_areas
from rollout.demo.regions import REGION_OF_STATE

#: Orders per day for the whole country.
NATIONAL_ORDERS = 1_000_000
#: People counted for every ZIP3 on top of the cities near it: geonames lists places of 15,000
#: people or more, so without a floor a rural ZIP3 would order nothing at all.
RURAL_FLOOR = 25_000


@dataclass(frozen=True)
class Zones:
    ids: list[str]
    lat: np.ndarray
    lon: np.ndarray
    region: list[str]
    demand: np.ndarray  # orders/day, int64, summing to NATIONAL_ORDERS


@lru_cache(maxsize=1)
def zones() -> Zones:
    areas, towns = zip3_areas(), cities()
    people = spread_people(towns.lat, towns.lon, towns.population, areas.lat, areas.lon,
                           areas.zip_count) + RURAL_FLOOR
    return Zones(
        ids=areas.ids,
        lat=areas.lat,
        lon=areas.lon,
        region=[REGION_OF_STATE[state] for state in areas.state],
        demand=apportion(people, NATIONAL_ORDERS),
    )


def spread_people(lat: np.ndarray, lon: np.ndarray, population: np.ndarray,
                  area_lat: np.ndarray, area_lon: np.ndarray,
                  zip_count: np.ndarray) -> np.ndarray:
    """People per ZIP3: each city's population goes to the ZIP3 centres within its radius (the
    radius that absorbed its boroughs), in proportion to their ZIP code counts, or to the
    nearest centre when none is that close. Otherwise all of New York City would land on the
    one ZIP3 whose centre happens to be nearest to Manhattan."""
    km = km_matrix(lat, lon, area_lat, area_lon)
    radius = ABSORB_KM_PER_SQRT_100K * np.sqrt(population / 100_000)
    share = np.where(km < radius[:, None], zip_count[None, :], 0).astype(np.float64)
    lonely = share.sum(axis=1) == 0
    share[lonely, np.argmin(km[lonely], axis=1)] = 1.0
    share /= share.sum(axis=1, keepdims=True)
    return np.asarray(population @ share)


def apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers proportional to `weights` that add up to exactly `total` (largest
    remainders get the leftover units; ties go to the lower index, so it is deterministic)."""
    exact = weights / weights.sum() * total
    whole = np.floor(exact).astype(np.int64)
    short = total - int(whole.sum())
    order = np.argsort(-(exact - whole), kind="stable")
    whole[order[:short]] += 1
    return whole
