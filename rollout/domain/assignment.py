"""Who owns what: zones and facilities per region, and the routing rule that covers each zone.

Shared by the checks, the simulator and the diff. Selector problems met on the way (malformed
ranges, unknown ids, ranges matching nothing) are collected as findings for the checks to report;
other callers work on valid bundles and may ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from rollout.domain.bundle import Bundle
from rollout.domain.findings import Finding, Ref, finding
from rollout.domain.network import NetworkIndex
from rollout.domain.ranges import RangeError

NO_REGION = -1
NO_RULE = -1


@dataclass
class Assignment:
    """Regions' zones and facilities, and each zone's routing rule, as arrays."""

    bundle: Bundle
    net: NetworkIndex
    region_codes: list[str] = field(init=False)
    region_position: dict[str, int] = field(init=False)
    #: zone position -> region position (the first claiming region; -1 for none)
    zone_region: np.ndarray = field(init=False)
    #: zone position -> how many regions claim it
    zone_claims: np.ndarray = field(init=False)
    #: facility position -> region position (first claiming region; -1 for none)
    facility_region: np.ndarray = field(init=False)
    facility_claims: np.ndarray = field(init=False)
    #: zone position -> index of the last routing rule that covers it (-1 for none)
    zone_rule: np.ndarray = field(init=False)
    #: per region, the zone positions it claims (for multi-claim messages)
    region_zone_sets: list[np.ndarray] = field(init=False)
    problems: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        regions = self.bundle.regions.regions
        self.region_codes = [r.code for r in regions]
        self.region_position = {}
        for index, code in enumerate(self.region_codes):
            self.region_position.setdefault(code, index)
        self._assign_zones()
        self._assign_facilities()
        self._assign_rules()

    def _select(self, selectors: list[str], section: str, base: tuple[str | int, ...],
                what: str) -> np.ndarray:
        chosen: list[np.ndarray] = []
        # Plain zone ids (a composite state lists every zone of a region explicitly: 40,000
        # at national scale) are looked up in one pass; only the rest are parsed one by one.
        # An id with "-" in it could read as a range, so it takes the parsing path.
        position = self.net.zones.position
        exact = [position.get(text) if "-" not in text else None for text in selectors]
        found = [p for p in exact if p is not None]
        if found:
            chosen.append(np.array(found, dtype=np.int64))
        for j, text in enumerate(selectors):
            if exact[j] is not None:
                continue
            ref = Ref(section, (*base, j))
            try:
                positions, known = self.net.zones.select(text)
            except RangeError as exc:
                self.problems.append(finding("E111", str(exc), ref,
                                             hint="write ranges as FIRST-LAST with ids of equal "
                                                  "width, e.g. \"010-069\""))
                continue
            if not known:
                self.problems.append(finding("E110", f"{what} names unknown zone '{text}'", ref))
            elif len(positions) == 0:
                self.problems.append(finding("W112", f"range '{text}' matches no zone", ref))
            chosen.append(positions)
        if not chosen:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(chosen))

    def _assign_zones(self) -> None:
        n = self.net.n_zones
        self.zone_region = np.full(n, NO_REGION, dtype=np.int64)
        self.zone_claims = np.zeros(n, dtype=np.int64)
        self.region_zone_sets = []
        for index, region in enumerate(self.bundle.regions.regions):
            positions = self._select(region.zones, "regions", ("regions", index, "zones"),
                                     f"region {region.code}")
            self.region_zone_sets.append(positions)
            unclaimed = positions[self.zone_region[positions] == NO_REGION]
            self.zone_region[unclaimed] = index
            self.zone_claims[positions] += 1

    def _assign_facilities(self) -> None:
        n = self.net.n_facilities
        self.facility_region = np.full(n, NO_REGION, dtype=np.int64)
        self.facility_claims = np.zeros(n, dtype=np.int64)
        for index, region in enumerate(self.bundle.regions.regions):
            seen: set[int] = set()
            for j, facility_id in enumerate(region.facilities):
                position = self.net.facility_position.get(facility_id)
                if position is None:
                    self.problems.append(finding(
                        "E110", f"region {region.code} lists unknown facility '{facility_id}'",
                        Ref("regions", ("regions", index, "facilities", j))))
                    continue
                if position in seen:
                    continue
                seen.add(position)
                if self.facility_region[position] == NO_REGION:
                    self.facility_region[position] = index
                self.facility_claims[position] += 1

    def _assign_rules(self) -> None:
        self.zone_rule = np.full(self.net.n_zones, NO_RULE, dtype=np.int64)
        for index, route in enumerate(self.bundle.routing.routes):
            if route.region is not None:
                if route.region == "*":
                    self.zone_rule[:] = index
                    continue
                region = self.region_position.get(route.region)
                if region is None:
                    self.problems.append(finding(
                        "E110", f"route names unknown region '{route.region}'",
                        Ref("routing", ("routes", index, "region")),
                        hint="known regions: " + ", ".join(self.region_codes)))
                    continue
                self.zone_rule[self.zone_region == region] = index
            elif route.zones is not None:
                positions = self._select(route.zones, "routing", ("routes", index, "zones"),
                                         "route")
                self.zone_rule[positions] = index

    @cached_property
    def region_fcs(self) -> list[np.ndarray]:
        """Per region, its FC positions sorted by facility id."""
        fcs = self.net.fc_positions
        return [fcs[self.facility_region[fcs] == r] for r in range(len(self.region_codes))]

    def region_facilities(self, region: int) -> np.ndarray:
        return np.flatnonzero(self.facility_region == region)
