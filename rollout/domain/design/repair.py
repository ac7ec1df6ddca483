"""Repairs of a zone partition after the p-median: contiguity, capacity, cost, balance, moves.

A `Partition` labels every zone with a region. Locked regions (kept from the base version)
never gain or lose a zone. Every repair moves zones one at a time (or a whole detached fragment
at once) and only through `Partition.can_move`, which refuses a move that would break what an
earlier repair established: a region's contiguity (when asked for), a target region's capacity,
an emptied region. So the repairs run in order (contiguity, capacity, cost, balance, moves) and
each keeps the guarantees of the ones before it. They are greedy and best effort: whatever is
still violated at the end is reported by `violations`, never hidden.

Bounds: each repair looks at every zone at most a fixed number of times (`_MAX_PASSES` scans of
its candidate moves), and each move's contiguity check is one breadth-first search of the
source region, so the work is O(passes × zones × region size) in the worst case.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array

from rollout.domain.design.adjacency import components, connected_without, neighbours
from rollout.domain.design.problem import FloatArray, IntArray

#: How many times a repair rebuilds its candidate list before it gives up.
_MAX_PASSES = 8


class Partition:
    """Zones labelled with regions, with each region's demand and capacity limit.

    `costs[i, r]` is zone i's cost per unit of demand in region r (km from r's FC that would
    serve it: `sites.region_costs`); `limits[r]`
    is the most demand region r may hold (inf when unlimited); `locked[r]` marks kept regions.
    """

    def __init__(self, *, labels: IntArray, weights: FloatArray, costs: FloatArray,
                 limits: FloatArray, locked: np.ndarray, adjacency: csr_array,
                 contiguous: bool) -> None:
        self.labels = labels.astype(np.intp).copy()
        self.weights = weights
        self.costs = costs
        self.limits = limits
        self.locked = locked
        self.adjacency = adjacency
        self.contiguous = contiguous
        self.regions = int(costs.shape[1])
        self.demand: FloatArray = np.bincount(self.labels, weights=weights,
                                             minlength=self.regions).astype(np.float64)
        self.members: list[set[int]] = [set() for _ in range(self.regions)]
        for zone, region in enumerate(self.labels.tolist()):
            self.members[region].add(zone)

    def move(self, zone: int, region: int) -> None:
        old = int(self.labels[zone])
        self.members[old].discard(zone)
        self.members[region].add(zone)
        self.labels[zone] = region
        self.demand[old] -= self.weights[zone]
        self.demand[region] += self.weights[zone]

    def touches(self, zone: int, region: int) -> bool:
        return any(int(self.labels[z]) == region for z in neighbours(self.adjacency, zone))

    def can_move(self, zone: int, region: int, *, capacity: bool = True) -> bool:
        """Whether moving `zone` into `region` keeps every guarantee: both regions free, the
        source not emptied, the target's demand within its limit (when `capacity`), and with
        contiguity the zone touching the target and the source staying connected."""
        source = int(self.labels[zone])
        if source == region or self.locked[source] or self.locked[region]:
            return False
        if len(self.members[source]) <= 1:
            return False
        if capacity and self.demand[region] + self.weights[zone] > self.limits[region] + 1e-9:
            return False
        if self.contiguous:
            if not self.touches(zone, region):
                return False
            if not connected_without(self.adjacency, self.members[source], zone):
                return False
        return True

    def fragments(self, region: int) -> list[IntArray]:
        """The region's connected parts, the one to keep (most demand) first."""
        parts = components(self.adjacency, np.fromiter(sorted(self.members[region]), np.intp))
        parts.sort(key=lambda part: -float(self.weights[part].sum()) - 1e-9 * part.size)
        return parts

    def over_capacity(self) -> IntArray:
        return np.flatnonzero(self.demand > self.limits + 1e-9)


def repair_contiguity(part: Partition) -> None:
    """Give every detached fragment of a free region to the free region it touches that serves
    it at least cost, until each free region is one connected area or no fragment can go
    anywhere (a fragment surrounded by kept regions). Ignores capacity: capacity repair follows."""
    for _ in range(part.regions * _MAX_PASSES):
        changed = False
        for region in range(part.regions):
            if part.locked[region]:
                continue
            for fragment in part.fragments(region)[1:]:
                touched = {int(part.labels[z]) for zone in fragment.tolist()
                           for z in neighbours(part.adjacency, zone)} - {region}
                targets = [r for r in touched if not part.locked[r]]
                if not targets:
                    continue
                cost = [float(part.weights[fragment] @ part.costs[fragment, r]) for r in targets]
                target = targets[int(np.argmin(cost))]
                for zone in fragment.tolist():
                    part.move(zone, target)
                changed = True
        if not changed:
            return


def repair_capacity(part: Partition) -> None:
    """Move zones out of each region over its limit, cheapest extra km first, into regions
    with room (keeping contiguity when asked), until it fits or no move is left."""
    for region in part.over_capacity().tolist():
        _shed(part, region)


def improve_cost(part: Partition) -> None:
    """Move zones to a free region that serves them for less (`costs`: the km from that
    region's nearest FC), the largest saving of demand-weighted km first, through `can_move`,
    so contiguity, capacity and every region's zones hold. The p-median placed each zone by its
    region's centre; this counts the FC the simulator would ship from. Runs after the capacity
    repair and before balance, which takes back what it needs."""
    rows = np.arange(part.labels.size)
    for _ in range(_MAX_PASSES):
        current = part.costs[rows, part.labels]
        gain = (current - part.costs.min(axis=1)) * part.weights
        zones = np.flatnonzero((gain > 1e-9) & ~part.locked[part.labels])
        moved = False
        for zone in zones[np.argsort(-gain[zones], kind="stable")].tolist():
            here = part.costs[zone, part.labels[zone]]
            for region in np.argsort(part.costs[zone], kind="stable").tolist():
                if part.costs[zone, region] >= here:
                    break
                if part.can_move(zone, region):
                    part.move(zone, region)
                    moved = True
                    break
        if not moved:
            return


def repair_balance(part: Partition, ratio: float) -> None:
    """Best effort towards max demand / min demand <= `ratio` over all regions: grow the
    smallest free region from its neighbours, else shrink the largest, one zone at a time."""
    free = np.flatnonzero(~part.locked)
    for _ in range(part.labels.size):
        if balance_ratio(part.demand) <= ratio + 1e-9 or free.size < 2:
            return
        smallest = int(free[np.argmin(part.demand[free])])
        largest = int(free[np.argmax(part.demand[free])])
        if not (_grow(part, smallest) or _shrink(part, largest)):
            return


def balance_ratio(demand: FloatArray) -> float:
    """Largest over smallest region demand (inf when a region has none)."""
    low = float(demand.min())
    return float(demand.max()) / low if low > 0 else float("inf")


def limit_moves(part: Partition, home: IntArray, max_moves: int) -> None:
    """Send moved zones back to their `home` region (-1: none left to go back to), least
    costly first, while more than `max_moves` zones are away and a move keeps the guarantees."""
    for _ in range(_MAX_PASSES):
        away = np.flatnonzero((home >= 0) & (part.labels != home))
        excess = int(np.count_nonzero((home < 0) | (part.labels != home))) - max_moves
        if excess <= 0 or away.size == 0:
            return
        delta = (part.costs[away, home[away]] - part.costs[away, part.labels[away]]) \
            * part.weights[away]
        moved = False
        for zone in away[np.argsort(delta, kind="stable")].tolist():
            if part.can_move(zone, int(home[zone])):
                part.move(zone, int(home[zone]))
                moved = True
                excess -= 1
                if excess <= 0:
                    return
        if not moved:
            return


def _candidates(part: Partition, zones: IntArray, targets: IntArray) -> list[tuple[int, int]]:
    """(zone, target) pairs, the least extra cost per unit of demand first."""
    if zones.size == 0 or targets.size == 0:
        return []
    extra = part.costs[np.ix_(zones, targets)] - part.costs[zones, part.labels[zones]][:, None]
    order = np.argsort(extra, axis=None, kind="stable")
    rows, cols = np.unravel_index(order, extra.shape)
    return list(zip(zones[rows].tolist(), targets[cols].tolist(), strict=True))


def _shed(part: Partition, region: int) -> bool:
    """Move zones out of `region` until it is within its limit; whether any moved."""

    def done() -> bool:
        return bool(part.demand[region] <= part.limits[region] + 1e-9)

    moved_any = False
    targets = np.flatnonzero(~part.locked)
    targets = targets[targets != region]
    for _ in range(_MAX_PASSES):
        moved = False
        zones = np.fromiter(sorted(part.members[region]), np.intp)
        for zone, target in _candidates(part, zones, targets):
            if done():
                return moved_any
            if int(part.labels[zone]) == region and part.can_move(zone, target):
                part.move(zone, target)
                moved = moved_any = True
        if done() or not moved:
            return moved_any
    return moved_any


def _grow(part: Partition, region: int) -> bool:
    """Take one zone into `region` from a larger free region, without overshooting it."""
    sources = np.flatnonzero(~part.locked)
    sources = sources[(sources != region) & (part.demand[sources] > part.demand[region])]
    zones = np.fromiter((z for r in sources.tolist() for z in part.members[r]), np.intp)
    if zones.size == 0:
        return False
    extra = (part.costs[zones, region] - part.costs[zones, part.labels[zones]]) \
        * part.weights[zones]
    for zone in zones[np.argsort(extra, kind="stable")].tolist():
        source = int(part.labels[zone])
        after = part.demand[region] + part.weights[zone]
        fits = after < part.demand[source] - part.weights[zone] + 1e-9 or \
            part.demand[region] == 0
        if fits and part.weights[zone] > 0 and part.can_move(zone, region):
            part.move(zone, region)
            return True
    return False


def _shrink(part: Partition, region: int) -> bool:
    """Give one zone of `region` to a smaller free region, without overshooting it."""
    targets = np.flatnonzero(~part.locked)
    targets = targets[(targets != region) & (part.demand[targets] < part.demand[region])]
    zones = np.fromiter(sorted(part.members[region]), np.intp)
    for zone, target in _candidates(part, zones, targets):
        if part.weights[zone] <= 0:
            continue
        if part.demand[target] + part.weights[zone] < part.demand[region] - part.weights[zone] \
                + 1e-9 and part.can_move(zone, target):
            part.move(zone, target)
            return True
    return False
