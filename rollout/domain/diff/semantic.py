"""`semantic_diff`: what a change between two bundles means for the network.

Zones, facilities, lanes, regions and settings are compared here; routes in `routes`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

import numpy as np

from rollout.domain.bundle import Bundle
from rollout.domain.diff.changes import FieldChange, ItemChange, Json, RegionMove, RegionRename
from rollout.domain.diff.model import SemanticDiff
from rollout.domain.diff.routes import route_changes
from rollout.domain.diff.sides import CommonZones, Side
from rollout.domain.schema import Demand, Facility, Lane, Zone

_LANE_FIELDS = ("km", "hours", "truck_capacity")
_DEMAND_FIELDS = ("catalog", "zipf", "items_per_order", "seed")

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def semantic_diff(old: Bundle, new: Bundle) -> SemanticDiff:
    """Everything that differs in meaning between `old` and `new` (layout and comments don't).

    Zones and facilities are matched by id, lanes by (from, to) and regions by code; only items
    present on both sides can move region or change route. Works on bundles with findings too.
    """
    before, after = Side.of(old), Side.of(new)
    common = CommonZones.of(before, after)
    diff = SemanticDiff()
    _diff_zones(before, after, common, diff)
    _diff_facilities(before, after, diff)
    _diff_lanes(old, new, diff)
    _diff_regions(old, new, diff)
    diff.routes_changed = route_changes(before, after, common)
    diff.settings_changed = _setting_changes(old, new)
    return diff


def _by_id(items: Iterable[T], key: Callable[[T], K]) -> dict[K, T]:
    """Items by key, the first of duplicates winning (as everywhere in the domain)."""
    out: dict[K, T] = {}
    for item in items:
        out.setdefault(key(item), item)
    return out


def _diff_zones(before: Side, after: Side, common: CommonZones, diff: SemanticDiff) -> None:
    old_zones, new_zones = before.net.zones.position, after.net.zones.position
    diff.zones_added = sorted(new_zones.keys() - old_zones.keys())
    diff.zones_removed = sorted(old_zones.keys() - new_zones.keys())
    was = before.zone_region_codes()[common.old_rows]
    now = after.zone_region_codes()[common.new_rows]
    for i in np.flatnonzero(was != now).tolist():
        diff.zones_moved.append(RegionMove(common.ids[i], was[i], now[i]))
    old_list, new_list = before.bundle.network.zones, after.bundle.network.zones
    for zone_id, i, j in zip(common.ids, common.old_rows.tolist(), common.new_rows.tolist(),
                             strict=True):
        a, b = old_list[i], new_list[j]
        if (a.lat, a.lon, a.station, a.demand) != (b.lat, b.lon, b.station, b.demand):
            diff.zones_changed.append(ItemChange(zone_id, _zone_fields(a, b)))


def _zone_fields(old: Zone, new: Zone) -> tuple[FieldChange, ...]:
    pairs = [("position", [old.lat, old.lon], [new.lat, new.lon]),
             ("station", old.station, new.station), ("demand", old.demand, new.demand)]
    return tuple(FieldChange(name, a, b) for name, a, b in pairs if a != b)


def _diff_facilities(before: Side, after: Side, diff: SemanticDiff) -> None:
    old = _by_id(before.bundle.network.facilities, lambda f: f.id)
    new = _by_id(after.bundle.network.facilities, lambda f: f.id)
    diff.facilities_added = sorted(new.keys() - old.keys())
    diff.facilities_removed = sorted(old.keys() - new.keys())
    for facility_id in sorted(old.keys() & new.keys()):
        changes = _facility_fields(old[facility_id], new[facility_id])
        if changes:
            diff.facilities_changed.append(ItemChange(facility_id, changes))
        was = before.facility_region(before.net.facility_position[facility_id])
        now = after.facility_region(after.net.facility_position[facility_id])
        if was != now:
            diff.facilities_moved.append(RegionMove(facility_id, was, now))


def _facility_fields(old: Facility, new: Facility) -> tuple[FieldChange, ...]:
    changes = [FieldChange(name, a, b) for name, a, b in (
        ("type", old.type, new.type),
        ("position", [old.lat, old.lon], [new.lat, new.lon]),
        ("capacity", old.capacity, new.capacity),
    ) if a != b]
    # "top 30%" and "top  30%" stock the same SKUs: compare what they mean, show what was written.
    if old.stock_spec != new.stock_spec:
        changes.append(FieldChange("stock", old.stock, new.stock))
    return tuple(changes)


def _lane_keys(lanes: Iterable[Lane]) -> dict[tuple[str, str, int], Lane]:
    """Lanes by (from, to, n): n counts earlier lanes with the same ends, so duplicates diff too."""
    seen: dict[tuple[str, str], int] = {}
    out: dict[tuple[str, str, int], Lane] = {}
    for lane in lanes:
        n = seen.get((lane.from_, lane.to), 0)
        seen[(lane.from_, lane.to)] = n + 1
        out[(lane.from_, lane.to, n)] = lane
    return out


def _diff_lanes(old_bundle: Bundle, new_bundle: Bundle, diff: SemanticDiff) -> None:
    old = _lane_keys(old_bundle.network.lanes)
    new = _lane_keys(new_bundle.network.lanes)
    diff.lanes_added = [(a, b) for a, b, _ in sorted(new.keys() - old.keys())]
    diff.lanes_removed = [(a, b) for a, b, _ in sorted(old.keys() - new.keys())]
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        if (a.km, a.hours, a.truck_capacity) == (b.km, b.hours, b.truck_capacity):
            continue
        changes = tuple(FieldChange(name, getattr(a, name), getattr(b, name))
                        for name in _LANE_FIELDS if getattr(a, name) != getattr(b, name))
        diff.lanes_changed.append(ItemChange(f"{key[0]} -> {key[1]}", changes))


def _diff_regions(old_bundle: Bundle, new_bundle: Bundle, diff: SemanticDiff) -> None:
    old = _by_id(old_bundle.regions.regions, lambda r: r.code)
    new = _by_id(new_bundle.regions.regions, lambda r: r.code)
    diff.regions_added = sorted(new.keys() - old.keys())
    diff.regions_removed = sorted(old.keys() - new.keys())
    diff.regions_renamed = [RegionRename(code, old[code].name, new[code].name)
                            for code in sorted(old.keys() & new.keys())
                            if old[code].name != new[code].name]


def _setting_changes(old: Bundle, new: Bundle) -> list[FieldChange]:
    """policy.sla_hours, routing.fallback and demand.* (all of demand.yaml when one side has
    none)."""
    pairs: list[tuple[str, Json, Json]] = [
        ("policy.sla_hours", old.regions.policy.sla_hours, new.regions.policy.sla_hours),
        ("routing.fallback", old.routing.fallback, new.routing.fallback),
    ]
    if old.demand is not None and new.demand is not None:
        pairs += [(f"demand.{name}", getattr(old.demand, name), getattr(new.demand, name))
                  for name in _DEMAND_FIELDS]
    else:
        pairs.append(("demand", _demand(old.demand), _demand(new.demand)))
    return [FieldChange(name, a, b) for name, a, b in pairs if a != b]


def _demand(demand: Demand | None) -> Json:
    return None if demand is None else demand.model_dump()
