"""Semantic and text diffs between two bundles (DESIGN section 5).

The semantic diff says what a change means for the network: zones changing region, facilities,
lanes and regions that appear, disappear or change, zones whose candidate FCs or path change, and
changed settings. Routes are compared for every zone, so that work is batched: candidates are
resolved per routing rule over chunks of zones, and fastest paths come from one Dijkstra per
distinct first-candidate FC, walked once per distinct (FC, station) pair.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar, overload

import numpy as np

from rollout.domain.assignment import NO_REGION, Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex, path_from_predecessors
from rollout.domain.routing import NEAREST, NEAREST_IN_REGION, ZoneRouter
from rollout.domain.schema import Demand, Facility, Lane, Zone

#: Per-zone details kept in `as_dict` (and a tenth of that in `render_text`); the rest is counted.
DETAIL_LIMIT = 1000
_TEXT_DETAIL_LIMIT = 20
#: Zones per batch when ordering FCs by distance: bounds the [FCs x zones] float matrix in memory.
_CHUNK = 8192
_LANE_FIELDS = ("km", "hours", "truck_capacity")
_DEMAND_FIELDS = ("catalog", "zipf", "items_per_order", "seed")

Json = object
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


# --- zone id ranges ---------------------------------------------------------------------------


def compress_zone_ids(zone_ids: Iterable[str]) -> str:
    """The ids as one line such as "010-019, 070, 201-203", duplicates dropped.

    Runs of two or more consecutive numeric ids of the same width become "FIRST-LAST"; other ids
    are listed as they are; parts are sorted as text. Reading each part back with
    `ranges.parse_selector` gives exactly the input set (for ids without ", " in them that do not
    themselves look like a range).
    """
    return ", ".join(zone_id_runs(zone_ids))


def zone_id_runs(zone_ids: Iterable[str]) -> list[str]:
    """The parts of `compress_zone_ids`, as a list."""
    numeric: dict[int, list[int]] = {}
    parts: list[str] = []
    for zone_id in set(zone_ids):
        if zone_id.isascii() and zone_id.isdigit():
            numeric.setdefault(len(zone_id), []).append(int(zone_id))
        else:
            parts.append(zone_id)
    for width, values in numeric.items():
        parts.extend(_runs(sorted(values), width))
    return sorted(parts)


def _runs(values: list[int], width: int) -> list[str]:
    """Sorted distinct values as "FIRST-LAST" runs or single ids, zero-padded to `width`."""
    runs: list[str] = []
    start = previous = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        first, last = f"{start:0{width}d}", f"{previous:0{width}d}"
        runs.append(first if start == previous else f"{first}-{last}")
        if value is not None:
            start = previous = value
    return runs


# --- the semantic diff's parts ------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of one thing, before and after (JSON values: numbers, strings, lists, None)."""

    field: str
    old: Json
    new: Json

    def as_dict(self) -> dict[str, Json]:
        return {"field": self.field, "old": self.old, "new": self.new}

    def as_text(self) -> str:
        return f"{self.field} {_show(self.old)} -> {_show(self.new)}"


@dataclass(frozen=True)
class ItemChange:
    """A zone, facility or lane (by its key) whose fields changed."""

    key: str
    changes: tuple[FieldChange, ...]

    def as_dict(self) -> dict[str, Json]:
        return {"id": self.key, "changes": [c.as_dict() for c in self.changes]}

    def as_text(self) -> str:
        return f"{self.key}: " + "; ".join(c.as_text() for c in self.changes)


@dataclass(frozen=True)
class RegionMove:
    """A zone or facility whose region changed (None: no region claims it on that side)."""

    id: str
    old_region: str | None
    new_region: str | None

    def as_dict(self) -> dict[str, Json]:
        return {"id": self.id, "old_region": self.old_region, "new_region": self.new_region}


@dataclass(frozen=True)
class RouteChange:
    """A zone whose resolved candidates or first candidate's path changed."""

    zone: str
    old_fcs: tuple[str, ...]
    new_fcs: tuple[str, ...]
    old_path: tuple[str, ...]
    new_path: tuple[str, ...]

    @property
    def old_first(self) -> str | None:
        return self.old_fcs[0] if self.old_fcs else None

    @property
    def new_first(self) -> str | None:
        return self.new_fcs[0] if self.new_fcs else None

    def as_dict(self) -> dict[str, Json]:
        return {"zone": self.zone, "old_fcs": list(self.old_fcs), "new_fcs": list(self.new_fcs),
                "old_path": list(self.old_path), "new_path": list(self.new_path)}

    def as_text(self) -> str:
        parts = []
        if self.old_fcs != self.new_fcs:
            parts.append(f"fcs {_show(list(self.old_fcs))} -> {_show(list(self.new_fcs))}")
        if self.old_path != self.new_path:
            parts.append(f"path {_path(self.old_path)} -> {_path(self.new_path)}")
        return f"{self.zone}: " + "; ".join(parts)


class RouteChanges(Sequence[RouteChange]):
    """The changed routes as a read-only sequence of `RouteChange`, built on access.

    A national routing change touches every zone; materialising 40,000 candidate lists that
    nobody reads would cost more than the whole comparison, so rows stay arrays until asked for.
    """

    def __init__(self, zones: Sequence[str], names: Sequence[str], old_fcs: np.ndarray,
                 new_fcs: np.ndarray, old_paths: Sequence[tuple[str, ...]],
                 new_paths: Sequence[tuple[str, ...]]) -> None:
        self.zones = list(zones)
        # The appended None is what the -1 padding indexes.
        self._names = np.array([*names, None], dtype=object)
        self._old_fcs, self._new_fcs = old_fcs, new_fcs
        self._old_paths, self._new_paths = list(old_paths), list(new_paths)

    @classmethod
    def of(cls, changes: Iterable[RouteChange]) -> RouteChanges:
        """From ready-made changes (tests, and callers that build their own)."""
        items = list(changes)
        names = sorted({f for c in items for f in (*c.old_fcs, *c.new_fcs)})
        index = {name: i for i, name in enumerate(names)}
        width = max((max(len(c.old_fcs), len(c.new_fcs)) for c in items), default=0)

        def matrix(rows: list[tuple[str, ...]]) -> np.ndarray:
            out = np.full((len(rows), width), -1, dtype=np.int32)
            for i, row in enumerate(rows):
                out[i, : len(row)] = [index[f] for f in row]
            return out

        return cls([c.zone for c in items], names, matrix([c.old_fcs for c in items]),
                   matrix([c.new_fcs for c in items]), [c.old_path for c in items],
                   [c.new_path for c in items])

    def __len__(self) -> int:
        return len(self.zones)

    @overload
    def __getitem__(self, index: int) -> RouteChange: ...

    @overload
    def __getitem__(self, index: slice) -> list[RouteChange]: ...

    def __getitem__(self, index: int | slice) -> RouteChange | list[RouteChange]:
        if isinstance(index, slice):
            return [self._change(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._change(index)

    def _change(self, i: int) -> RouteChange:
        return RouteChange(self.zones[i], self._ids(self._old_fcs[i]), self._ids(self._new_fcs[i]),
                           self._old_paths[i], self._new_paths[i])

    def _ids(self, row: np.ndarray) -> tuple[str, ...]:
        return tuple(self._names[row[row >= 0]].tolist())

    def first_pairs(self) -> list[tuple[str | None, str | None, str]]:
        """(old first candidate, new first candidate, zone) per change, without building them."""
        return list(zip(self._firsts(self._old_fcs), self._firsts(self._new_fcs), self.zones,
                        strict=True))

    def _firsts(self, matrix: np.ndarray) -> list[str | None]:
        column = matrix[:, 0] if matrix.shape[1] else np.full(len(matrix), -1)
        return list(self._names[column].tolist())


@dataclass(frozen=True)
class Group:
    """Zones sharing a (before, after) pair, counted and compressed into ranges."""

    old: str | None
    new: str | None
    count: int
    zones: str

    def as_dict(self, old_name: str, new_name: str) -> dict[str, Json]:
        return {old_name: self.old, new_name: self.new, "count": self.count, "zones": self.zones}


@dataclass
class SemanticDiff:
    """What changed between two bundles, in the network's terms. Lists are sorted by id."""

    zones_moved: list[RegionMove] = field(default_factory=list)
    zones_added: list[str] = field(default_factory=list)
    zones_removed: list[str] = field(default_factory=list)
    zones_changed: list[ItemChange] = field(default_factory=list)
    facilities_added: list[str] = field(default_factory=list)
    facilities_removed: list[str] = field(default_factory=list)
    facilities_changed: list[ItemChange] = field(default_factory=list)
    facilities_moved: list[RegionMove] = field(default_factory=list)
    lanes_added: list[tuple[str, str]] = field(default_factory=list)
    lanes_removed: list[tuple[str, str]] = field(default_factory=list)
    lanes_changed: list[ItemChange] = field(default_factory=list)
    regions_added: list[str] = field(default_factory=list)
    regions_removed: list[str] = field(default_factory=list)
    regions_renamed: list[RegionMove] = field(default_factory=list)  # id=code, old/new = names
    routes_changed: RouteChanges = field(default_factory=lambda: RouteChanges.of([]))
    settings_changed: list[FieldChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when no list holds anything: the bundles mean the same network."""
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def zone_move_groups(self) -> list[Group]:
        """Moved zones grouped by (old region, new region), largest group first."""
        return _groups((m.old_region, m.new_region, m.id) for m in self.zones_moved)

    def route_groups(self) -> list[Group]:
        """Changed routes grouped by (old first candidate, new first candidate)."""
        return _groups(self.routes_changed.first_pairs())

    def as_dict(self, limit: int = DETAIL_LIMIT) -> dict[str, Json]:
        """JSON-ready; per-zone lists keep at most `limit` entries and count the rest."""
        return {
            "empty": self.is_empty,
            "zones": {
                "moved_summary": [g.as_dict("old_region", "new_region")
                                  for g in self.zone_move_groups()],
                "moved": _capped(self.zones_moved, limit),
                "added": self.zones_added,
                "removed": self.zones_removed,
                "changed": _capped(self.zones_changed, limit),
            },
            "facilities": {
                "added": self.facilities_added,
                "removed": self.facilities_removed,
                "changed": [c.as_dict() for c in self.facilities_changed],
                "moved": [m.as_dict() for m in self.facilities_moved],
            },
            "lanes": {
                "added": [{"from": a, "to": b} for a, b in self.lanes_added],
                "removed": [{"from": a, "to": b} for a, b in self.lanes_removed],
                "changed": [c.as_dict() for c in self.lanes_changed],
            },
            "regions": {
                "added": self.regions_added,
                "removed": self.regions_removed,
                "renamed": [{"code": r.id, "old_name": r.old_region, "new_name": r.new_region}
                            for r in self.regions_renamed],
            },
            "routes": {
                "count": len(self.routes_changed),
                "summary": [g.as_dict("old_fc", "new_fc") for g in self.route_groups()],
                "changes": _capped(self.routes_changed, limit),
            },
            "settings": [c.as_dict() for c in self.settings_changed],
        }


def _capped(items: Sequence[RegionMove | ItemChange | RouteChange], limit: int) -> dict[str, Json]:
    return {"items": [item.as_dict() for item in items[:limit]],
            "truncated": max(0, len(items) - limit)}


def _groups(triples: Iterable[tuple[str | None, str | None, str]]) -> list[Group]:
    """(old, new, zone) triples grouped by (old, new), largest group first."""
    by_key: dict[tuple[str | None, str | None], list[str]] = {}
    for old, new, zone in triples:
        by_key.setdefault((old, new), []).append(zone)
    groups = [Group(old, new, len(zones), compress_zone_ids(zones))
              for (old, new), zones in by_key.items()]
    return sorted(groups, key=lambda g: (-g.count, g.old or "", g.new or ""))


# --- computing it -------------------------------------------------------------------------------


@dataclass
class _Side:
    """One bundle with the indexes the diff reads."""

    bundle: Bundle
    net: NetworkIndex
    assignment: Assignment
    router: ZoneRouter

    @classmethod
    def of(cls, bundle: Bundle) -> _Side:
        net = NetworkIndex(bundle.network)
        assignment = Assignment(bundle, net)
        return cls(bundle, net, assignment, ZoneRouter(assignment))

    def zone_region_codes(self) -> np.ndarray:
        """Per zone position, its region code (None for no region), as an object array."""
        # NO_REGION (-1) indexes the appended None.
        codes = np.array([*self.assignment.region_codes, None], dtype=object)
        return codes[self.assignment.zone_region]

    def facility_region(self, position: int) -> str | None:
        region = int(self.assignment.facility_region[position])
        return None if region == NO_REGION else self.assignment.region_codes[region]


def semantic_diff(old: Bundle, new: Bundle) -> SemanticDiff:
    """Everything that differs in meaning between `old` and `new` (layout and comments don't).

    Zones and facilities are matched by id, lanes by (from, to) and regions by code; only items
    present on both sides can move region or change route. Works on bundles with findings too.
    """
    before, after = _Side.of(old), _Side.of(new)
    common = _CommonZones.of(before, after)
    diff = SemanticDiff()
    _diff_zones(before, after, common, diff)
    _diff_facilities(before, after, diff)
    _diff_lanes(old, new, diff)
    _diff_regions(old, new, diff)
    diff.routes_changed = _route_changes(before, after, common)
    diff.settings_changed = _setting_changes(old, new)
    return diff


def _by_id(items: Iterable[T], key: Callable[[T], K]) -> dict[K, T]:
    """Items by key, the first of duplicates winning (as everywhere in the domain)."""
    out: dict[K, T] = {}
    for item in items:
        out.setdefault(key(item), item)
    return out


@dataclass
class _CommonZones:
    """The zone ids on both sides, sorted, with their positions in each network."""

    ids: list[str]
    old_rows: np.ndarray
    new_rows: np.ndarray

    @classmethod
    def of(cls, before: _Side, after: _Side) -> _CommonZones:
        old, new = before.net.zones.position, after.net.zones.position
        ids = sorted(old.keys() & new.keys())
        return cls(ids, np.array([old[z] for z in ids], dtype=np.int64),
                   np.array([new[z] for z in ids], dtype=np.int64))


def _diff_zones(before: _Side, after: _Side, common: _CommonZones, diff: SemanticDiff) -> None:
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


def _diff_facilities(before: _Side, after: _Side, diff: SemanticDiff) -> None:
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
    diff.regions_renamed = [RegionMove(code, old[code].name, new[code].name)
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


# --- routes -------------------------------------------------------------------------------------


class _Paths:
    """Interns paths (tuples of facility ids) as small integers; id 0 is the empty path."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, ...]] = [()]
        self._ids: dict[tuple[str, ...], int] = {(): 0}

    def intern(self, path: tuple[str, ...]) -> int:
        found = self._ids.get(path)
        if found is None:
            found = self._ids[path] = len(self.paths)
            self.paths.append(path)
        return found


def _route_changes(before: _Side, after: _Side, common: _CommonZones) -> RouteChanges:
    """Zones on both sides whose candidate list or first-candidate path differs."""
    names = sorted(set(before.net.facility_ids) | set(after.net.facility_ids))
    paths = _Paths()
    old_fcs, old_paths = _routes_of(before, common.old_rows, names, paths)
    new_fcs, new_paths = _routes_of(after, common.new_rows, names, paths)
    width = max(old_fcs.shape[1], new_fcs.shape[1])
    old_fcs, new_fcs = _pad(old_fcs, width), _pad(new_fcs, width)
    changed = np.flatnonzero((old_fcs != new_fcs).any(axis=1) | (old_paths != new_paths))
    return RouteChanges([common.ids[z] for z in changed.tolist()], names, old_fcs[changed],
                        new_fcs[changed], [paths.paths[p] for p in old_paths[changed].tolist()],
                        [paths.paths[p] for p in new_paths[changed].tolist()])


def _routes_of(side: _Side, rows: np.ndarray, names: list[str],
               paths: _Paths) -> tuple[np.ndarray, np.ndarray]:
    """For the zones at `rows`: candidates as indexes into `names` (padded with -1), path ids."""
    candidates = candidate_matrix(side.router)
    zone_paths = _zone_paths(side, candidates[:, 0] if candidates.shape[1] else
                             np.full(side.net.n_zones, -1, dtype=np.int64), paths)
    index = {name: i for i, name in enumerate(names)}
    to_names = np.array([index[f] for f in side.net.facility_ids] + [-1], dtype=np.int32)
    # -1 (padding) indexes the appended -1, so padding stays padding.
    return to_names[candidates[rows]], zone_paths[rows]


def _pad(matrix: np.ndarray, width: int) -> np.ndarray:
    if matrix.shape[1] == width:
        return matrix
    padded = np.full((matrix.shape[0], width), -1, dtype=matrix.dtype)
    padded[:, : matrix.shape[1]] = matrix
    return padded


def candidate_matrix(router: ZoneRouter) -> np.ndarray:
    """Every zone's candidates as facility positions, one row per zone, padded with -1.

    Row z holds exactly `router.candidates(z)`; rules are resolved in batches of zones (one
    distance matrix and stable argsort per batch) instead of zone by zone.
    """
    net, assignment = router.net, router.assignment
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    for rule, route in enumerate(router.routes):
        zones = np.flatnonzero(assignment.zone_rule == rule)
        if len(zones) == 0:
            continue
        if route.fcs == NEAREST:
            blocks.append((zones, _nearest_first(net, net.fc_positions, zones)))
        elif route.fcs == NEAREST_IN_REGION:
            regions = assignment.zone_region[zones]
            for region in np.unique(regions[regions != NO_REGION]).tolist():
                in_region = zones[regions == region]
                fcs = assignment.region_fcs[region]
                blocks.append((in_region, _nearest_first(net, fcs, in_region)))
        else:
            known = [net.facility_position[f] for f in route.fcs if f in net.facility_position]
            blocks.append((zones, np.tile(np.array(known, dtype=np.int64), (len(zones), 1))))
    width = max((block.shape[1] for _, block in blocks), default=0)
    out = np.full((net.n_zones, width), -1, dtype=np.int64)
    for zones, block in blocks:
        out[zones, : block.shape[1]] = block
    return out


def _nearest_first(net: NetworkIndex, fcs: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """[len(zones), len(fcs)]: per zone, `fcs` (sorted by id) nearest first, id breaking ties."""
    out = np.empty((len(zones), len(fcs)), dtype=np.int64)
    if len(fcs) == 0:
        return out
    for start in range(0, len(zones), _CHUNK):
        chunk = zones[start : start + _CHUNK]
        order = np.argsort(net.zone_distance_km(fcs, chunk), axis=0, kind="stable")
        out[start : start + len(chunk)] = fcs[order].T
    return out


def _zone_paths(side: _Side, first: np.ndarray, paths: _Paths) -> np.ndarray:
    """Per zone, the id in `paths` of its route from its first candidate: FC, the rule's `via`
    hops, station; without `via` the fastest lane path by hours. Empty when the zone has no
    candidate or no station in the network, or the station cannot be reached."""
    net, rules = side.net, side.assignment.zone_rule
    # NO_RULE (-1) indexes the appended False: a zone without a rule has no `via`.
    has_via = np.array([r.via is not None for r in side.router.routes] + [False])[rules]
    usable = (first >= 0) & (net.zone_station >= 0)
    out = np.zeros(net.n_zones, dtype=np.int64)
    via_zones = np.flatnonzero(usable & has_via)
    if len(via_zones):
        out[via_zones] = _via_paths(side, first[via_zones], via_zones, paths)
    lane_zones = np.flatnonzero(usable & ~has_via)
    if len(lane_zones):
        out[lane_zones] = _fastest_paths(net, first[lane_zones],
                                         net.zone_station[lane_zones], paths)
    return out


def _via_paths(side: _Side, first: np.ndarray, zones: np.ndarray, paths: _Paths) -> np.ndarray:
    ids, routes = side.net.facility_ids, side.router.routes
    keys = np.stack([side.assignment.zone_rule[zones], first, side.net.zone_station[zones]], 1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    interned = [paths.intern((ids[fc], *(routes[rule].via or ()), ids[station]))
                for rule, fc, station in unique.tolist()]
    return np.array(interned, dtype=np.int64)[inverse.ravel()]


def _fastest_paths(net: NetworkIndex, first: np.ndarray, stations: np.ndarray,
                   paths: _Paths) -> np.ndarray:
    """Fastest lane paths first[i] -> stations[i]: one Dijkstra per distinct source, one walk
    per distinct (source, station) pair."""
    sources = np.unique(first)
    _, predecessors = net.fastest_paths_from(sources)
    row = np.searchsorted(sources, first)
    unique, inverse = np.unique(row * net.n_facilities + stations, return_inverse=True)
    ids = net.facility_ids
    interned = []
    for key in unique.tolist():
        source_row, station = divmod(key, net.n_facilities)
        walk = path_from_predecessors(predecessors[source_row], int(sources[source_row]), station)
        interned.append(paths.intern(tuple(ids[i] for i in walk)))
    return np.array(interned, dtype=np.int64)[inverse.ravel()]


# --- text diff and report -----------------------------------------------------------------------


@dataclass(frozen=True)
class FileDiff:
    """One file's unified diff (`a/NAME`, `b/NAME` headers, 3 lines of context)."""

    name: str
    status: Literal["added", "removed", "modified"]
    diff: str

    def as_dict(self) -> dict[str, Json]:
        return {"name": self.name, "status": self.status, "diff": self.diff}


def text_diff(old_files: dict[str, str], new_files: dict[str, str]) -> list[FileDiff]:
    """A unified diff per file name on either side, sorted by name; identical files left out and
    a file on one side only shown as wholly added or removed."""
    out: list[FileDiff] = []
    for name in sorted(old_files.keys() | new_files.keys()):
        old, new = old_files.get(name), new_files.get(name)
        if old == new:
            continue
        status: Literal["added", "removed", "modified"] = (
            "added" if old is None else "removed" if new is None else "modified")
        lines = difflib.unified_diff((old or "").splitlines(keepends=True),
                                     (new or "").splitlines(keepends=True),
                                     fromfile=f"a/{name}", tofile=f"b/{name}", n=3)
        out.append(FileDiff(name, status, "".join(_terminated(line) for line in lines)))
    return out


def _terminated(line: str) -> str:
    """A diff line ending in a newline, marking a last line that had none as git does."""
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def render_text(semantic: SemanticDiff, files: list[FileDiff]) -> str:
    """The `diff A B` report: the semantic summary (empty parts left out, or "No semantic
    change"), then each file's unified diff."""
    sections = _semantic_sections(semantic)
    lines = [line for section in sections for line in section] or ["No semantic change"]
    lines.append("")
    if files:
        text = "\n".join(lines) + "\n" + "".join(f.diff for f in files)
    else:
        text = "\n".join([*lines, "No text change", ""])
    return text


def _semantic_sections(diff: SemanticDiff) -> list[list[str]]:
    """Each non-empty part as a heading followed by indented lines."""
    candidates = [
        _section("Zones moved between regions", [
            f"{_region(g.old)} -> {_region(g.new)}: {_zones(g.count)} {g.zones}"
            for g in diff.zone_move_groups()]),
        _section("Zones", [
            *([f"+ {_zones(len(diff.zones_added))}: {compress_zone_ids(diff.zones_added)}"]
              if diff.zones_added else []),
            *([f"- {_zones(len(diff.zones_removed))}: {compress_zone_ids(diff.zones_removed)}"]
              if diff.zones_removed else []),
            *_limited([f"~ {c.as_text()}" for c in diff.zones_changed]),
        ]),
        _section("Facilities", [
            *(f"+ {f}" for f in diff.facilities_added),
            *(f"- {f}" for f in diff.facilities_removed),
            *(f"~ {c.as_text()}" for c in diff.facilities_changed),
            *(f"~ {m.id}: region {_region(m.old_region)} -> {_region(m.new_region)}"
              for m in diff.facilities_moved),
        ]),
        _section("Lanes", [
            *(f"+ {a} -> {b}" for a, b in diff.lanes_added),
            *(f"- {a} -> {b}" for a, b in diff.lanes_removed),
            *(f"~ {c.as_text()}" for c in diff.lanes_changed),
        ]),
        _section("Regions", [
            *(f"+ {code}" for code in diff.regions_added),
            *(f"- {code}" for code in diff.regions_removed),
            *(f"~ {r.id}: name {_show(r.old_region)} -> {_show(r.new_region)}"
              for r in diff.regions_renamed),
        ]),
        _section(f"Routes ({_zones(len(diff.routes_changed))} changed)", [
            *(f"first FC {g.old or '(none)'} -> {g.new or '(none)'}: {_zones(g.count)} {g.zones}"
              for g in diff.route_groups()),
            *_limited([f"  {r.as_text()}" for r in diff.routes_changed]),
        ]),
        _section("Policy", [c.as_text() for c in diff.settings_changed]),
    ]
    return [section for section in candidates if section]


def _section(heading: str, lines: list[str]) -> list[str]:
    return [heading, *(f"  {line}" for line in lines)] if lines else []


def _limited(lines: list[str], limit: int = _TEXT_DETAIL_LIMIT) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"  ... and {len(lines) - limit} more"]


def _zones(count: int) -> str:
    return f"{count} zone" if count == 1 else f"{count} zones"


def _region(code: str | None) -> str:
    return code if code is not None else "(no region)"


def _path(path: tuple[str, ...]) -> str:
    return " > ".join(path) if path else "(none)"


def _show(value: Json) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)
