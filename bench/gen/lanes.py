"""Directed lanes: a guaranteed backbone first, then the nearest extra lanes up to the target.

The backbone is what makes the bundle valid for any routing rule, `fcs: nearest` included:
every FC has a lane to a sort centre of its region, each region's sort centres form a cycle, the
regions' cycles are joined both ways to their neighbours' (so all sort centres are strongly
connected), and every delivery station has a lane from a sort centre of its region. Hence every
FC reaches every station, and every station is reachable inside its own region (E131).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.gen.geo import pairwise_km
from bench.gen.network import Network, Site

#: Extra lanes across a region border are possible but made rarer than lanes inside one.
CROSS_REGION_PENALTY = 3.0
#: Smaller trucks into delivery stations, so the bundle uses `truck_capacity` too.
STATION_TRUCK_CAPACITY = 1800


@dataclass(frozen=True)
class Lane:
    src: str
    dst: str
    km: int
    truck_capacity: int | None = None


class _Picker:
    """Collects (src, dst) site-index pairs once each, with their road km."""

    def __init__(self, sites: list[Site]) -> None:
        self.sites = sites
        self.index = {s.id: i for i, s in enumerate(sites)}
        self.km: dict[tuple[int, int], float] = {}

    def add(self, src: Site, dst: Site, km: float) -> None:
        if src.id != dst.id:
            self.km.setdefault((self.index[src.id], self.index[dst.id]), km)


def _coords(sites: list[Site]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([s.lat for s in sites]), np.array([s.lon for s in sites])


def _km(src: list[Site], dst: list[Site]) -> np.ndarray:
    return pairwise_km(*_coords(src), *_coords(dst))


def make_lanes(rng: np.random.Generator, network: Network, target: int) -> list[Lane]:
    """About `target` lanes without duplicate (from, to) pairs; never fewer than the backbone,
    never more than the candidate pairs allow (small networks)."""
    picker = _Picker(network.sites)
    _backbone(picker, network)
    missing = target - len(picker.km)
    if missing > 0:
        _extras(rng, picker, network, missing)
    lanes = []
    for (src, dst), km in sorted(picker.km.items()):
        source, dest = network.sites[src], network.sites[dst]
        capacity = STATION_TRUCK_CAPACITY if source.kind == "sc" and dest.kind == "ds" else None
        lanes.append(Lane(source.id, dest.id, max(1, round(km)), capacity))
    return lanes


def _backbone(picker: _Picker, network: Network) -> None:
    for spec in network.regions:
        fcs, scs, dss = (network.sites_of(spec.index, kind) for kind in ("fc", "sc", "ds"))
        km = _km(fcs, scs)
        for i, fc in enumerate(fcs):
            picker.add(fc, scs[int(km[i].argmin())], float(km[i].min()))
        # Sort centres are numbered north to south: a cycle through them is short and strong.
        if len(scs) > 1:
            ring = _km(scs, scs)
            for i, sc in enumerate(scs):
                j = (i + 1) % len(scs)
                picker.add(sc, scs[j], float(ring[i, j]))
        km = _km(scs, dss)
        for j, ds in enumerate(dss):
            picker.add(scs[int(km[:, j].argmin())], ds, float(km[:, j].min()))
    for west, east in zip(network.regions, network.regions[1:], strict=False):
        _join_regions(picker, network, west.index, east.index)


def _join_regions(picker: _Picker, network: Network, a: int, b: int) -> None:
    """Two sort-centre pairs linked both ways, and one FC of each side to the other side."""
    scs_a, scs_b = network.sites_of(a, "sc"), network.sites_of(b, "sc")
    km = _km(scs_a, scs_b)
    for flat in np.argsort(km, axis=None, kind="stable")[:2]:
        i, j = np.unravel_index(flat, km.shape)
        picker.add(scs_a[i], scs_b[j], float(km[i, j]))
        picker.add(scs_b[j], scs_a[i], float(km[i, j]))
    for src, dst in ((a, b), (b, a)):
        fcs, scs = network.sites_of(src, "fc"), network.sites_of(dst, "sc")
        km = _km(fcs, scs)
        i, j = np.unravel_index(int(km.argmin()), km.shape)
        picker.add(fcs[i], scs[j], float(km[i, j]))


def _extras(rng: np.random.Generator, picker: _Picker, network: Network, count: int) -> None:
    """The `count` candidate pairs with the lowest jittered km: mostly short, local lanes."""
    kinds = [("fc", "sc"), ("sc", "sc"), ("sc", "ds"), ("fc", "ds")]
    blocks: list[tuple[list[Site], list[Site], float]] = []
    for spec in network.regions:
        for src_kind, dst_kind in kinds:
            blocks.append(
                (
                    network.sites_of(spec.index, src_kind),
                    network.sites_of(spec.index, dst_kind),
                    1.0,
                )
            )
    for west, east in zip(network.regions, network.regions[1:], strict=False):
        for a, b in ((west.index, east.index), (east.index, west.index)):
            for src_kind in ("fc", "sc"):
                blocks.append(
                    (network.sites_of(a, src_kind), network.sites_of(b, "sc"), CROSS_REGION_PENALTY)
                )
    srcs, dsts, kms, scores = [], [], [], []
    for src, dst, penalty in blocks:
        km = _km(src, dst)
        src_index = np.array([picker.index[s.id] for s in src])
        dst_index = np.array([picker.index[s.id] for s in dst])
        srcs.append(np.repeat(src_index, len(dst)))
        dsts.append(np.tile(dst_index, len(src)))
        kms.append(km.ravel())
        scores.append(km.ravel() * penalty * rng.lognormal(0.0, 0.5, km.size))
    src_all, dst_all = np.concatenate(srcs), np.concatenate(dsts)
    km_all, score_all = np.concatenate(kms), np.concatenate(scores)
    for k in np.argsort(score_all, kind="stable"):
        if count == 0:
            break
        key = (int(src_all[k]), int(dst_all[k]))
        if key[0] != key[1] and key not in picker.km:
            picker.km[key] = float(km_all[k])
            count -= 1
