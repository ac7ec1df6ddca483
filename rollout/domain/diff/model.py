"""The semantic diff as a whole: `SemanticDiff`, its groupings and its JSON form."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rollout.domain.diff.changes import (
    FieldChange,
    ItemChange,
    Json,
    RegionMove,
    RegionRename,
    RouteChange,
    RouteChanges,
)
from rollout.domain.diff.zone_ids import compress_zone_ids

#: Per-zone details kept in `as_dict` and in `render_text`; the rest is only counted.
DETAIL_LIMIT = 1000


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
    regions_renamed: list[RegionRename] = field(default_factory=list)
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
                "renamed": [r.as_dict() for r in self.regions_renamed],
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
