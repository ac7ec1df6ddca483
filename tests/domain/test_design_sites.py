"""Which region each facility of a proposal joins: FCs by their nearest zone, sort centres and
stations with the routes through them, repaired until every station is reached in-region."""

from __future__ import annotations

import numpy as np

from rollout.domain.assignment import Assignment
from rollout.domain.bundle import Bundle
from rollout.domain.design.costs import zone_fc_km
from rollout.domain.design.sites import Sites, assign_fcs, assign_hubs, route_votes, unreached
from rollout.domain.network import NetworkIndex
from rollout.domain.schema import Facility, Lane, Network, Region, Regions, Route, Routing, Zone

_LANES = [("FC-W", "SC-W"), ("SC-W", "DS-W"), ("FC-E", "SC-E"), ("SC-E", "DS-E"),
          ("FC-E2", "SC-E")]


def _bundle(lanes: list[tuple[str, str]] = _LANES, *, national: bool = False) -> Bundle:
    """Two FCs west and east, a third FC near the east, a sort centre and station each side,
    a station DS-M in the middle, and (with `national`) an FC FC-N that no region lists. One
    base region holds every regional facility."""
    facilities = [
        Facility(id="FC-W", type="fc", lat=40.0, lon=-100.0),
        Facility(id="FC-E", type="fc", lat=40.0, lon=-80.0),
        Facility(id="FC-E2", type="fc", lat=41.0, lon=-81.0),
        Facility(id="SC-W", type="sc", lat=40.0, lon=-99.0),
        Facility(id="SC-E", type="sc", lat=40.0, lon=-81.0),
        Facility(id="DS-W", type="ds", lat=40.0, lon=-98.0),
        Facility(id="DS-E", type="ds", lat=40.0, lon=-82.0),
        Facility(id="DS-M", type="ds", lat=40.0, lon=-92.0),
    ] + ([Facility(id="FC-N", type="fc", lat=40.0, lon=-95.0)] if national else [])
    zones = [Zone(id="001", lat=40.0, lon=-99.0, station="DS-W", demand=10),
             Zone(id="002", lat=40.0, lon=-97.0, station="DS-W", demand=10),
             Zone(id="003", lat=40.0, lon=-83.0, station="DS-E", demand=10),
             Zone(id="004", lat=40.0, lon=-81.0, station="DS-E", demand=10),
             Zone(id="005", lat=40.0, lon=-93.0, station="DS-M", demand=10)]
    network = Network(facilities=facilities, zones=zones, lanes=[
        Lane.model_validate({"from": a, "to": b}) for a, b in lanes])
    regional = [f.id for f in facilities if f.id != "FC-N"]
    return Bundle(network=network,
                  regions=Regions(regions=[Region(code="ALL", name="All",
                                                  zones=[z.id for z in zones],
                                                  facilities=regional)]),
                  routing=Routing(routes=[Route(region="*", fcs="nearest")]))


def _place(bundle: Bundle, medians: tuple[str, ...] = ("FC-W", "FC-E"),
           west_zones: tuple[str, ...] = ("001", "002", "005")) -> dict[str, int]:
    """Place every facility with zones `west_zones` in the west region (that of FC-W), the
    others in the east; facility id -> region, 0 west, 1 east, -1 none."""
    net = NetworkIndex(bundle.network)
    base_region = Assignment(bundle, net).facility_region
    fcs = np.array([f for f in net.fc_positions.tolist() if base_region[f] >= 0])
    km = zone_fc_km(net, fcs)
    ids = [net.facility_ids[f] for f in fcs.tolist()]
    order = sorted(medians, key=ids.index)
    west = order.index("FC-W")
    labels = np.array([west if z.id in west_zones else 1 - west for z in bundle.network.zones])
    sites = Sites(net=net, fcs=fcs, medians=np.array([ids.index(m) for m in order]), km=km,
                  locked_facility=np.zeros(net.n_facilities, dtype=bool),
                  base_region=base_region)
    label = assign_fcs(sites, labels=labels, kept_regions=np.zeros(0, dtype=np.intp), p=2)
    label = assign_hubs(sites, bundle=bundle, labels=labels, label=label, p=2)
    assert not unreached(net, label)[net.facility_type == "ds"].any()  # E131 never
    side = {west: 0, 1 - west: 1, -1: -1}
    return {net.facility_ids[f]: side[int(label[f])] for f in range(net.n_facilities)}


def test_assign_hubs__two_regions__hubs_join_the_region_routing_through_them() -> None:
    # Given zones 001, 002 and 005 west, 003 and 004 east, and DS-M fed from the west
    bundle = _bundle([*_LANES, ("SC-W", "DS-M")])

    # When
    region = _place(bundle)

    # Then: the FCs by their nearest zone, the hubs with the packages through them
    assert region["FC-W"] == region["SC-W"] == region["DS-W"] == region["DS-M"] == 0
    assert region["FC-E"] == region["FC-E2"] == region["SC-E"] == region["DS-E"] == 1


def test_assign_hubs__station_fed_only_from_another_region__joins_the_region_reaching_it(
        ) -> None:
    # Given DS-M's zone in the west but its only lane in from the east's sort centre
    bundle = _bundle([*_LANES, ("SC-E", "DS-M")])

    # When
    region = _place(bundle)

    # Then: DS-M is in a region that reaches it (the east), not in none
    assert region["DS-M"] == 1
    assert region["SC-E"] == 1


def test_assign_hubs__station_no_lane_reaches__left_in_no_region() -> None:
    # Given DS-M with no lane into it
    bundle = _bundle()

    # When
    region = _place(bundle)

    # Then
    assert region["DS-M"] == -1
    assert region["DS-W"] == 0 and region["DS-E"] == 1


def test_assign_fcs__fc_no_base_region_lists__stays_in_no_region() -> None:
    # Given a national FC that the base regions leave out, nearest to zone 005
    bundle = _bundle([*_LANES, ("SC-W", "DS-M"), ("FC-N", "DS-M")], national=True)

    # When
    region = _place(bundle)

    # Then
    assert region["FC-N"] == -1
    assert region["DS-M"] == 0


def test_route_votes__zones_vote_with_demand_along_their_path() -> None:
    # Given every zone in one region served by FC-W and FC-E
    bundle = _bundle([*_LANES, ("SC-W", "DS-M")])
    net = NetworkIndex(bundle.network)
    label = np.array([0 if f in ("FC-W", "FC-E") else -1 for f in net.facility_ids])

    # When
    votes = route_votes(bundle=bundle, net=net, labels=np.zeros(5, dtype=np.intp),
                        label=label, n_regions=1)

    # Then: SC-W carries 001, 002 and 005 (30), SC-E 003 and 004 (20); FCs get no vote
    vote = {net.facility_ids[f]: round(float(votes[f, 0])) for f in range(net.n_facilities)}
    assert vote == {"FC-W": 0, "FC-E": 0, "FC-E2": 0, "SC-W": 30, "SC-E": 20, "DS-W": 20,
                    "DS-E": 20, "DS-M": 10}


def test_unreached__station_fed_from_another_region__flagged() -> None:
    # Given DS-E in the west region while its only feed (SC-E) is in the east
    net = NetworkIndex(_bundle().network)
    label = np.array([0 if f in ("FC-W", "SC-W", "DS-W", "DS-E") else 1
                      for f in net.facility_ids])

    # When
    lost = unreached(net, label)

    # Then: DS-E, and DS-M (east, no lane into it)
    assert [net.facility_ids[s] for s in np.flatnonzero(lost).tolist()] == ["DS-E", "DS-M"]
