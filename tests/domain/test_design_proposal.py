"""A design as a bundle: the proposed regions, and routing from each region's own FCs."""

from __future__ import annotations

from rollout.domain.assignment import Assignment
from rollout.domain.design.proposal import proposal_bundle
from rollout.domain.design.regions import DesignRequest, region_design
from rollout.domain.network import NetworkIndex
from rollout.domain.schema import Route, Routing
from tests.domain.design_instances import random_bundle


def test_proposal_bundle__default__every_region_nearest_in_region_every_zone_claimed() -> None:
    # Given a design
    bundle = random_bundle(5, zones=40, fcs=6, capacity=None)
    design = region_design(bundle=bundle, request=DesignRequest(regions=3))

    # When
    proposal = proposal_bundle(bundle=bundle, design=design)

    # Then
    assert [(r.region, r.fcs) for r in proposal.routing.routes] == [
        (region.code, "nearest_in_region") for region in design.regions]
    assignment = Assignment(proposal, NetworkIndex(proposal.network))
    assert (assignment.zone_claims == 1).all()
    assert assignment.problems == []


def test_proposal_bundle__keep_routing__rules_of_lost_regions_dropped() -> None:
    # Given a base routing with a rule for a region the design no longer has
    bundle = random_bundle(5, zones=40, fcs=6, capacity=None)
    bundle.routing = Routing(routes=[Route(region="*", fcs="nearest"),
                                     Route(region="GONE", fcs="nearest_in_region")])
    design = region_design(bundle=bundle, request=DesignRequest(regions=3))

    # When
    proposal = proposal_bundle(bundle=bundle, design=design, keep_routing=True)

    # Then
    assert [r.region for r in proposal.routing.routes] == ["*"]
