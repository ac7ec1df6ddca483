"""Distances for the generator. Same great-circle x 1.2 rule as a lane without `km`."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0
ROAD_FACTOR = 1.2

FloatArray = npt.NDArray[np.float64]


def road_km(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """Great-circle km x 1.2 between broadcastable arrays of points (degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)) * ROAD_FACTOR)


def pairwise_km(
    src_lat: FloatArray, src_lon: FloatArray, dst_lat: FloatArray, dst_lon: FloatArray
) -> FloatArray:
    """Matrix [len(src), len(dst)] of road km."""
    return road_km(src_lat[:, None], src_lon[:, None], dst_lat[None, :], dst_lon[None, :])
