"""Directed trucking lanes of the demo network.

- regional FC -> every sort centre of its own and of the neighbouring regions: the long-haul
  lanes national routing fills with a trickle of each FC's catalogue slice (the "spiderweb");
- national long-tail FC -> every sort centre in the country;
- sort centre <-> the nearest sort centre of each neighbouring region, both ways: the national
  middle mile for traffic between regions that do not touch; with the lanes above, every FC
  reaches every delivery station, which `fcs: nearest` needs;
- sort centre -> delivery station: each station is fed by the nearest sort centre of its region;
- FC -> delivery station directly, for stations of its region within `DIRECT_KM`.

No lane states km or hours, so the defaults apply (great-circle km x 1.2, km / 65 h), and every
truck carries the default 2,000 packages.
"""

from __future__ import annotations

import numpy as np

from rollout.demo.geography import km_matrix
from rollout.demo.regions import NEIGHBOURS
from rollout.demo.sites import Site

#: Great-circle km within which an FC has a direct lane to a delivery station of its region.
DIRECT_KM = 100.0

Lane = tuple[str, str]


def _km(a: list[Site], b: list[Site]) -> np.ndarray:
    return km_matrix(np.array([s.lat for s in a]), np.array([s.lon for s in a]),
                     np.array([s.lat for s in b]), np.array([s.lon for s in b]))


def build_lanes(fcs: list[Site], scs: list[Site], dss: list[Site]) -> dict[str, list[Lane]]:
    """Lanes by kind, each list sorted; no (from, to) pair appears twice."""
    near = {frozenset(pair) for pair in NEIGHBOURS}

    def reaches(fc: Site, sc: Site) -> bool:
        return not fc.region or fc.region == sc.region or frozenset((fc.region, sc.region)) in near

    fc_sc = [(fc.id, sc.id) for fc in fcs for sc in scs if reaches(fc, sc)]
    # Each sort centre to the nearest sort centre of every neighbouring region, and back.
    sc_sc: set[Lane] = set()
    for a in scs:
        for region in {b.region for b in scs if frozenset((a.region, b.region)) in near}:
            theirs = [b for b in scs if b.region == region]
            b = theirs[int(np.argmin(_km([a], theirs)[0]))]
            sc_sc.update(((a.id, b.id), (b.id, a.id)))
    sc_ds = []
    for ds in dss:
        own = [sc for sc in scs if sc.region == ds.region]
        feeder = own[int(np.argmin(_km([ds], own)[0]))]
        sc_ds.append((feeder.id, ds.id))
    close = _km(fcs, dss) < DIRECT_KM
    fc_ds = [(fc.id, ds.id) for i, fc in enumerate(fcs) for j, ds in enumerate(dss)
             if close[i, j] and fc.region == ds.region]
    return {
        "FC to sort centres: its region's and the neighbouring regions' (national long-tail "
        "FCs: all)": sorted(fc_sc),
        "national middle mile: nearest sort centres of neighbouring regions, both ways":
            sorted(sc_sc),
        "sort centre to delivery station (the station's nearest sort centre)": sorted(sc_ds),
        f"FC direct to delivery stations of its region within {DIRECT_KM:g} km": sorted(fc_ds),
    }
