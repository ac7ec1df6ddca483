"""The eight demo regions: which states each groups, and which regions border each other.

Illustrative names in the spirit of a national retailer's 2023 regionalisation; the grouping is
by state so that ZIP3 areas (which follow state lines) fall into regions cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    states: tuple[str, ...]


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec("NE", "Northeast", ("ME", "NH", "VT", "MA", "RI", "CT", "NY", "NJ")),
    RegionSpec("MA", "Mid-Atlantic", ("PA", "DE", "MD", "DC", "VA", "WV")),
    RegionSpec("SE", "Southeast", ("NC", "SC", "GA", "FL", "AL", "TN", "MS")),
    RegionSpec("GL", "Great Lakes", ("OH", "MI", "IN", "IL", "WI", "KY")),
    RegionSpec("CE", "Central", ("MN", "IA", "MO", "KS", "NE", "ND", "SD")),
    RegionSpec("SC", "South Central", ("TX", "OK", "AR", "LA")),
    RegionSpec("MT", "Mountain", ("CO", "UT", "NM", "AZ", "NV", "ID", "MT", "WY")),
    RegionSpec("PC", "Pacific", ("CA", "OR", "WA")),
)

#: Regions whose sort centres are joined by middle-mile lanes (both ways). The graph is connected,
#: so every FC reaches every delivery station, which national routing (`fcs: nearest`) needs.
NEIGHBOURS: tuple[tuple[str, str], ...] = (
    ("NE", "MA"), ("NE", "GL"), ("MA", "SE"), ("MA", "GL"), ("SE", "GL"), ("SE", "SC"),
    ("SE", "CE"), ("GL", "CE"), ("CE", "SC"), ("CE", "MT"), ("SC", "MT"), ("MT", "PC"),
)

REGION_OF_STATE: dict[str, str] = {state: r.code for r in REGIONS for state in r.states}
LOWER_48 = frozenset(REGION_OF_STATE)
