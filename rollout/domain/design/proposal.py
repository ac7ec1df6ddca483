"""A design's regions as a bundle: the base bundle with the proposed regions and routing."""

from __future__ import annotations

from rollout.domain.bundle import Bundle
from rollout.domain.design.regions import RegionDesign
from rollout.domain.schema import Region, Regions, Route, Routing


def proposal_bundle(*, bundle: Bundle, design: RegionDesign, keep_routing: bool = False) -> Bundle:
    """The base bundle with the proposal's regions (same policy) and, unless `keep_routing`,
    a routing table that ships every region from its own FCs (`nearest_in_region`), with the
    base table's fallback. With `keep_routing` the base table stays, less the rules of regions
    the proposal no longer has (they would name unknown regions)."""
    regions = Regions(
        regions=[Region(code=r.code, name=r.name, zones=list(r.zones),
                        facilities=list(r.facilities)) for r in design.regions],
        policy=bundle.regions.policy)
    codes = {r.code for r in design.regions}
    if keep_routing:
        routes = [route for route in bundle.routing.routes
                  if route.region is None or route.region == "*" or route.region in codes]
    else:
        routes = [Route(region=r.code, fcs="nearest_in_region") for r in design.regions]
    return Bundle(network=bundle.network, regions=regions,
                  routing=Routing(routes=routes, fallback=bundle.routing.fallback),
                  demand=bundle.demand)
