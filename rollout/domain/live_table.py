"""The live routes as compact arrays: built once when the live state changes, loaded elsewhere.

A `RouteTable` holds every zone's answer on one bundle (its candidates and its first candidate's
path, from `paths.zone_routes`, the one route semantics) and which zones each region claims. A
stored version's table is computed once and kept. A `LiveTable` says, for the live state at one
activation, which region owns each zone and which table answers for each live region.

When every live version has the same network (facilities, lanes and zones alike, the common case:
a rollout changes regions or routing), a zone's live answer is its owner version's own answer:
candidates come from the owner version's rule and region, and paths from the one shared network.
So a new live state costs an assignment of owners, not a recomputation of 40,000 routes. When
the networks differ, the caller composes the full state and gives its table instead
(`LiveTable.single`); both ways give the same answers (tests/domain/test_live_table.py).

Both pack to bytes (numpy arrays in an uncompressed .npz plus a JSON header) for the database.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import orjson

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.network import NetworkIndex
from rollout.domain.paths import NO_PATH, zone_routes
from rollout.domain.routing import ZoneRouter

NOT_LIVE = -1


def network_digest(net: NetworkIndex) -> str:
    """sha256 of everything a route answer reads from a network: facility ids, kinds and
    places, lanes (in order, with their hours), zone ids, places and stations."""
    digest = hashlib.sha256()
    for part in (net.facility_ids, net.zones.ids):
        digest.update("\x1f".join(part).encode())
        digest.update(b"\x1e")
    for array in (net.facility_type.astype("<U2"), net.facility_lat, net.facility_lon,
                  net.zone_lat, net.zone_lon, net.zone_station, net.lane_from, net.lane_to,
                  net.lane_hours):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class RouteTable:
    """Every zone's route answer on one bundle, as facility positions.

    Zone z's candidates are `candidate_values[candidate_offsets[z]:candidate_offsets[z + 1]]`;
    its path is path `zone_path[z]` (NO_PATH: none, or broken), whose facilities are
    `path_values[path_offsets[p]:path_offsets[p + 1]]`.
    """

    digest: str
    zone_ids: list[str]
    facility_ids: list[str]
    candidate_offsets: np.ndarray
    candidate_values: np.ndarray
    zone_path: np.ndarray
    path_offsets: np.ndarray
    path_values: np.ndarray
    #: region code -> positions of the zones it claims (its selectors expanded)
    claims: dict[str, np.ndarray] = field(default_factory=dict)

    @cached_property
    def zone_position(self) -> dict[str, int]:
        return {zone: index for index, zone in enumerate(self.zone_ids)}

    @cached_property
    def _answers(self) -> tuple[list[int], list[int], list[int], np.ndarray]:
        """What answering reads, in the forms fastest to use from Python: offsets as lists,
        facility ids as an object array (a zone's ids are one fancy index). Made on the first
        answer (a few ms at national scale)."""
        return (self.candidate_offsets.tolist(), self.zone_path.tolist(),
                self.path_offsets.tolist(), np.array(self.facility_ids, dtype=object))

    def fcs(self, zone: int) -> list[str]:
        offsets, _, _, ids = self._answers
        fcs: list[str] = ids[self.candidate_values[offsets[zone] : offsets[zone + 1]]].tolist()
        return fcs

    def path(self, zone: int) -> list[str]:
        _, zone_path, offsets, ids = self._answers
        index = zone_path[zone]
        if index == NO_PATH:
            return []
        path: list[str] = ids[self.path_values[offsets[index] : offsets[index + 1]]].tolist()
        return path

    def fcs_of(self, zones: np.ndarray) -> list[list[str]]:
        """`fcs(z)` for many zones at once (one gather instead of one slice per zone)."""
        return self._gather(self.candidate_offsets, self.candidate_values, zones)

    def paths_of(self, zones: np.ndarray) -> list[list[str]]:
        """`path(z)` for many zones at once."""
        paths = self.zone_path[zones].astype(np.int64)
        has = paths != NO_PATH
        starts = np.where(has, self.path_offsets[np.maximum(paths, 0)], 0)
        stops = np.where(has, self.path_offsets[np.maximum(paths, 0) + 1], 0)
        return self._gather_ranges(starts, stops, self.path_values)

    def _gather(self, offsets: np.ndarray, values: np.ndarray,
                rows: np.ndarray) -> list[list[str]]:
        return self._gather_ranges(offsets[rows], offsets[rows + 1], values)

    def _gather_ranges(self, starts: np.ndarray, stops: np.ndarray,
                       values: np.ndarray) -> list[list[str]]:
        lengths = stops - starts
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        # Position k of the flat result comes from values[starts[row] + (k - row's first k)].
        index = np.arange(total) + np.repeat(starts - (ends - lengths), lengths)
        ids: list[str] = self._answers[3][values[index]].tolist()
        out: list[list[str]] = []
        begin = 0
        for end in ends.tolist():
            out.append(ids[begin:end])
            begin = end
        return out

    def pack(self) -> bytes:
        header = {"digest": self.digest, "zone_ids": self.zone_ids,
                  "facility_ids": self.facility_ids, "claims": sorted(self.claims)}
        arrays = {"candidate_offsets": self.candidate_offsets,
                  "candidate_values": self.candidate_values, "zone_path": self.zone_path,
                  "path_offsets": self.path_offsets, "path_values": self.path_values}
        arrays.update({f"claim_{i}": self.claims[code]
                       for i, code in enumerate(header["claims"])})
        return _pack(header, arrays)

    @classmethod
    def unpack(cls, data: bytes) -> RouteTable:
        header, arrays = _unpack(data)
        claims = {code: arrays[f"claim_{i}"] for i, code in enumerate(header["claims"])}
        return cls(digest=header["digest"], zone_ids=header["zone_ids"],
                   facility_ids=header["facility_ids"],
                   candidate_offsets=arrays["candidate_offsets"],
                   candidate_values=arrays["candidate_values"], zone_path=arrays["zone_path"],
                   path_offsets=arrays["path_offsets"], path_values=arrays["path_values"],
                   claims=claims)


def route_table(bundle: Bundle) -> RouteTable:
    """Every zone's answer on `bundle`, all zones at once (one candidate matrix, one Dijkstra
    per distinct first FC)."""
    net = NetworkIndex(bundle.network)
    assignment = Assignment(bundle, net)
    routes = zone_routes(ZoneRouter(assignment))
    assert routes.candidates is not None  # asked for without `first`: the whole matrix
    candidates = routes.candidates
    present = candidates >= 0  # each row holds its candidates from column 0, padded with -1
    candidate_offsets = np.zeros(net.n_zones + 1, dtype=np.int64)
    np.cumsum(present.sum(axis=1), out=candidate_offsets[1:])
    paths = routes.paths.positions
    path_offsets = np.zeros(len(paths) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in paths], out=path_offsets[1:])
    path_values = np.fromiter((f for p in paths for f in p), dtype=np.int32,
                              count=int(path_offsets[-1]))
    # A broken path is the empty path: such zones answer with no path at all.
    zone_path = np.where(routes.zone_path >= 0,
                         np.where(routes.paths.ok[np.maximum(routes.zone_path, 0)],
                                  routes.zone_path, NO_PATH) if len(paths) else NO_PATH,
                         NO_PATH).astype(np.int32)
    claims = {code: assignment.region_zone_sets[index].astype(np.int32)
              for index, code in enumerate(assignment.region_codes)}
    return RouteTable(digest=network_digest(net), zone_ids=list(net.zones.ids),
                      facility_ids=list(net.facility_ids),
                      candidate_offsets=candidate_offsets,
                      candidate_values=candidates[present].astype(np.int32),
                      zone_path=zone_path, path_offsets=path_offsets, path_values=path_values,
                      claims=claims)


@dataclass(frozen=True)
class LiveRoutes:
    """A live region for `LiveTable.assemble`: its code, version, activation sequence and the
    route table of its version."""

    code: str
    version_id: str
    sequence: int
    table: RouteTable


@dataclass(frozen=True)
class LiveTable:
    """The live state's routes at one activation: who owns each zone of the zone universe and,
    per live region, the route table that answers for its zones (same zone positions)."""

    at_activation: int
    zone_ids: list[str]
    region_codes: list[str]
    region_versions: dict[str, str]
    zone_region: np.ndarray  # index into region_codes, NOT_LIVE where no live region owns it
    gaps: list[str]
    tables: dict[str, RouteTable]  # region code -> the table answering for its zones

    @cached_property
    def zone_position(self) -> dict[str, int]:
        return {zone: index for index, zone in enumerate(self.zone_ids)}

    @cached_property
    def zone_owner(self) -> dict[str, str]:
        codes = self.region_codes
        return {self.zone_ids[z]: codes[r] for z, r in
                zip(np.flatnonzero(self.zone_region >= 0).tolist(),
                    self.zone_region[self.zone_region >= 0].tolist(), strict=True)}

    @cached_property
    def zone_counts(self) -> dict[str, int]:
        """Live zones per live region (counted in the array: no 40,000-entry dict)."""
        owned = self.zone_region[self.zone_region >= 0]
        counts = np.bincount(owned, minlength=len(self.region_codes)).tolist()
        return {code: int(n) for code, n in zip(self.region_codes, counts, strict=True) if n}

    @cached_property
    def _zone_region(self) -> list[int]:
        zone_region: list[int] = self.zone_region.tolist()
        return zone_region

    def answer(self, zone: str) -> dict[str, object] | None:
        """{"zone", "region", "version", "fcs", "path"}, or None when the zone is not live."""
        position = self.zone_position.get(zone)
        if position is None:
            return None
        owner = self._zone_region[position]
        if owner == NOT_LIVE:
            return None
        region = self.region_codes[owner]
        table = self.tables[region]
        return {"zone": zone, "region": region, "version": self.region_versions[region],
                "fcs": table.fcs(position), "path": table.path(position)}

    def answers(self, zones: Sequence[str]) -> list[dict[str, object] | None]:
        """`answer` of many zones at once: the zones of each table gathered in one go."""
        out: list[dict[str, object] | None] = [None] * len(zones)
        groups: dict[str, list[tuple[int, int]]] = {}  # region -> (index in out, position)
        for index, zone in enumerate(zones):
            position = self.zone_position.get(zone)
            if position is not None and self._zone_region[position] != NOT_LIVE:
                region = self.region_codes[self._zone_region[position]]
                groups.setdefault(region, []).append((index, position))
        for region, members in groups.items():
            table, version = self.tables[region], self.region_versions[region]
            positions = np.array([p for _, p in members], dtype=np.int64)
            for (index, _), fcs, path in zip(members, table.fcs_of(positions),
                                             table.paths_of(positions), strict=True):
                out[index] = {"zone": zones[index], "region": region, "version": version,
                              "fcs": fcs, "path": path}
        return out

    @classmethod
    def assemble(cls, at_activation: int, live: Sequence[LiveRoutes],
                 ever_claimed: set[str]) -> LiveTable | None:
        """The live table from each live region's version table, or None when the live
        versions' networks differ (compose the full state and use `single` then).

        A zone belongs to the live region claiming it that was activated last (DESIGN 5);
        `ever_claimed` (zones live regions have ever made live) gives the coverage gaps."""
        regions = sorted(live, key=lambda r: r.sequence)
        if not regions:
            return cls(at_activation=at_activation, zone_ids=[], region_codes=[],
                       region_versions={}, zone_region=np.zeros(0, dtype=np.int16),
                       gaps=sorted(ever_claimed), tables={})
        first = regions[0].table
        if any(r.table.digest != first.digest for r in regions):
            return None
        zone_region = np.full(len(first.zone_ids), NOT_LIVE, dtype=np.int16)
        codes = [r.code for r in regions]
        for index, region in enumerate(regions):  # later activations overwrite earlier claims
            claimed = region.table.claims.get(region.code)
            if claimed is not None:
                zone_region[claimed] = index
        owned = {first.zone_ids[z] for z in np.flatnonzero(zone_region >= 0).tolist()}
        gaps = sorted(z for z in ever_claimed - owned if z in first.zone_position)
        return cls(at_activation=at_activation, zone_ids=first.zone_ids, region_codes=codes,
                   region_versions={r.code: r.version_id for r in regions},
                   zone_region=zone_region, gaps=gaps,
                   tables={r.code: r.table for r in regions})

    @classmethod
    def single(cls, at_activation: int, table: RouteTable, zone_owner: dict[str, str],
               region_versions: dict[str, str], gaps: list[str]) -> LiveTable:
        """The live table of a composed state: one table (of the composite bundle) for every
        region, owners as the composite says."""
        codes = sorted(region_versions)
        index = {code: i for i, code in enumerate(codes)}
        zone_region = np.array([index[zone_owner[z]] if z in zone_owner else NOT_LIVE
                                for z in table.zone_ids], dtype=np.int16)
        return cls(at_activation=at_activation, zone_ids=table.zone_ids, region_codes=codes,
                   region_versions=dict(region_versions), zone_region=zone_region,
                   gaps=list(gaps), tables={code: table for code in codes})

    def pack(self, *, own: RouteTable | None = None) -> bytes:
        """The table as bytes. Version tables are stored once per version, so they are named
        by version here; a composed state's own table (`own`, answering for every region) is
        packed along."""
        own_codes = sorted(self.region_versions) if own is not None else []
        header: dict[str, Any] = {
            "at_activation": self.at_activation, "zone_ids": self.zone_ids,
            "region_codes": self.region_codes, "region_versions": self.region_versions,
            "gaps": self.gaps, "own": own_codes}
        arrays = {"zone_region": self.zone_region}
        if own is not None:
            arrays["own_table"] = np.frombuffer(own.pack(), dtype=np.uint8)
        return _pack(header, arrays)

    @classmethod
    def unpack(cls, data: bytes, version_table: dict[str, RouteTable]) -> LiveTable:
        """From `pack`'s bytes; `version_table` maps each live version id to its table (not
        needed for regions answered by a table packed along)."""
        header, arrays = _unpack(data)
        own = (RouteTable.unpack(arrays["own_table"].tobytes()) if "own_table" in arrays
               else None)
        versions: dict[str, str] = header["region_versions"]
        tables = {code: own if own is not None and code in header["own"]
                  else version_table[versions[code]] for code in versions}
        return cls(at_activation=header["at_activation"], zone_ids=header["zone_ids"],
                   region_codes=header["region_codes"], region_versions=versions,
                   zone_region=arrays["zone_region"], gaps=header["gaps"], tables=tables)

    @staticmethod
    def versions_in(data: bytes) -> dict[str, str]:
        """Region code -> version id of a packed table, without reading its arrays."""
        header, _ = _unpack(data, arrays=False)
        versions: dict[str, str] = header["region_versions"]
        return {code: v for code, v in versions.items() if code not in header["own"]}


def _pack(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    text = orjson.dumps(header)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds loosely
    return len(text).to_bytes(8, "little") + text + buffer.getvalue()


def _unpack(data: bytes, *, arrays: bool = True) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    size = int.from_bytes(data[:8], "little")
    header = orjson.loads(data[8 : 8 + size])  # 40,000 zone ids: about 3x json's speed
    if not arrays:
        return header, {}
    with np.load(io.BytesIO(data[8 + size :]), allow_pickle=False) as archive:
        return header, {name: archive[name] for name in archive.files}
