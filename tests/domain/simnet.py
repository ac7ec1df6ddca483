"""Tiny bundles built in code, for simulator tests whose expected numbers are worked out by hand.

Each helper returns the plain data a YAML file would hold; `build` writes the sections as YAML
text (JSON is YAML) and runs them through `parse_bundle`, so a test bundle is exactly what a user
could have written. Most test networks lie on the equator (lat 0), where the great-circle
distance between two points is R x |dlon| in radians: one degree of longitude is
6371 x pi / 180 = 111.19... km, so distances are easy to work out in a comment.

    bundle = build(
        facilities=[fc("FC-A"), ds("DS-A", lon=1)],
        zones=[zone("001", "DS-A", lon=1)],
        lanes=[lane("FC-A", "DS-A", km=100, hours=2)],
        regions=[region("A", ["001"], ["FC-A", "DS-A"])],
        routes=[route("nearest", region="*")],
    )
    result = simulate(bundle, orders(bundle, ("001", [5]), ("001", [7, 8])))
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rollout.domain.bundle import Bundle, parse_bundle
from rollout.domain.demand import Orders

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED = REPO_ROOT / "examples" / "seed"

EARTH_RADIUS_KM = 6371.0
#: A section's (or a whole network's) plain data, as a YAML file would hold it.
Sections = dict[str, Any]
#: Great-circle km of one degree of longitude on the equator.
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180


def road_km(degrees: float) -> float:
    """A default lane's (or the last mile's) km for `degrees` of longitude on the equator."""
    return degrees * KM_PER_DEGREE * 1.2


def road_hours(degrees: float) -> float:
    """A default lane's (or the last mile's) hours for `degrees` of longitude on the equator."""
    return road_km(degrees) / 65


def fc(fid: str, *, lat: float = 0.0, lon: float = 0.0, stock: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": fid, "type": "fc", "lat": lat, "lon": lon}
    if stock is not None:
        data["stock"] = stock
    return data


def sc(fid: str, *, lat: float = 0.0, lon: float = 0.0) -> dict[str, Any]:
    return {"id": fid, "type": "sc", "lat": lat, "lon": lon}


def ds(fid: str, *, lat: float = 0.0, lon: float = 0.0) -> dict[str, Any]:
    return {"id": fid, "type": "ds", "lat": lat, "lon": lon}


def zone(zid: str, station: str, *, lat: float = 0.0, lon: float = 0.0,
         demand: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": zid, "lat": lat, "lon": lon, "station": station}
    if demand is not None:
        data["demand"] = demand
    return data


def lane(source: str, target: str, *, km: float | None = None, hours: float | None = None,
         truck_capacity: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"from": source, "to": target}
    for key, value in (("km", km), ("hours", hours), ("truck_capacity", truck_capacity)):
        if value is not None:
            data[key] = value
    return data


def region(code: str, zones: Sequence[str], facilities: Sequence[str]) -> dict[str, Any]:
    return {"code": code, "name": f"Region {code}", "zones": list(zones),
            "facilities": list(facilities)}


def route(fcs: str | Sequence[str], *, region: str | None = None,
          zones: Sequence[str] | None = None, via: Sequence[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if region is not None:
        data["region"] = region
    if zones is not None:
        data["zones"] = list(zones)
    data["fcs"] = fcs if isinstance(fcs, str) else list(fcs)
    if via is not None:
        data["via"] = list(via)
    return data


def build(
    *,
    facilities: Iterable[dict[str, Any]],
    zones: Iterable[dict[str, Any]],
    lanes: Iterable[dict[str, Any]] = (),
    regions: Iterable[dict[str, Any]],
    routes: Iterable[dict[str, Any]],
    fallback: str | None = None,
    demand: dict[str, Any] | None = None,
) -> Bundle:
    """A schema-valid `Bundle` from the sections' data (fails the test if the schema rejects it).

    Only the schema runs, not the check catalogue: a test network may deliberately hold what a
    check would warn about (a facility in no region, a slow route).
    """
    routing: dict[str, Any] = {"routes": list(routes)}
    if fallback is not None:
        routing["fallback"] = fallback
    sections: dict[str, Any] = {
        "network": {"facilities": list(facilities), "zones": list(zones), "lanes": list(lanes)},
        "regions": {"regions": list(regions)},
        "routing": routing,
    }
    if demand is not None:
        sections["demand"] = demand
    files = {f"{name}.yaml": json.dumps(data, indent=1).encode() for name, data in sections.items()}
    parsed = parse_bundle(files)
    assert parsed.bundle is not None, [f.message for f in parsed.findings]
    return parsed.bundle


def orders(bundle: Bundle, *order_list: tuple[str, Sequence[int]]) -> Orders:
    """`Orders` from (zone id, [SKU, ...]) pairs, one pair per order, in the given order."""
    position = {z.id: index for index, z in enumerate(bundle.network.zones)}
    order_zone = np.array([position[zid] for zid, _ in order_list], dtype=np.int64)
    item_order = np.array(
        [index for index, (_, skus) in enumerate(order_list) for _ in skus], dtype=np.int64
    )
    item_sku = np.array([sku for _, skus in order_list for sku in skus], dtype=np.int64)
    return Orders(order_zone=order_zone, item_order=item_order, item_sku=item_sku)


def seed_files(variant: str) -> dict[str, bytes]:
    """The raw files of examples/seed/<variant> ("national" or "regional")."""
    folder = SEED / variant
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.yaml"))}


def seed_bundle(variant: str) -> Bundle:
    parsed = parse_bundle(seed_files(variant))
    assert parsed.bundle is not None, [f.message for f in parsed.findings]
    return parsed.bundle
