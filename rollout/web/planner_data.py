"""What the rollout planner shows besides its form: each region of the chosen version with its
size and the version live in it now."""

from __future__ import annotations

from dataclasses import dataclass

from rollout.domain.composite import claimed_zones
from rollout.models import Version
from rollout.selectors.regions import known_region_codes
from rollout.selectors.versions import version_bundle
from rollout.services.live_network import latest_activations
from rollout.web.usmap import region_colours


@dataclass(frozen=True)
class PlannerRegion:
    code: str
    name: str
    zones: int
    facilities: int
    colour: str
    live_version: str | None
    live: bool


def planner_regions(version: Version) -> list[PlannerRegion]:
    """The version's regions with their size and each one's live version right now."""
    bundle = version_bundle(version=version)
    if bundle is None:
        return []
    codes = [r.code for r in bundle.regions.regions]
    colours = region_colours(codes, universe=known_region_codes())
    latest = latest_activations()
    out = []
    for region in bundle.regions.regions:
        activation = latest.get(region.code)
        live_version = activation.version_id if activation else None
        out.append(PlannerRegion(region.code, region.name, len(claimed_zones(bundle, region.code)),
                                 len(region.facilities), colours[region.code], live_version,
                                 activation is not None and live_version is not None))
    return out
