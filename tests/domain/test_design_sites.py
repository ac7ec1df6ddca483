"""Which region each facility of a proposal joins, and stations left out when unreachable."""

from __future__ import annotations

import numpy as np

from rollout.domain.design.sites import Sites, assign_facilities, unreachable_stations
from rollout.domain.network import NetworkIndex, great_circle_km
from rollout.domain.schema import Facility, Lane, Network, Zone


def _network() -> Network:
    """Two FCs west and east, a third FC near the east, a station and sort centre each side."""
    facilities = [
        Facility(id="FC-W", type="fc", lat=40.0, lon=-100.0),
        Facility(id="FC-E", type="fc", lat=40.0, lon=-80.0),
        Facility(id="FC-E2", type="fc", lat=41.0, lon=-81.0),
        Facility(id="SC-W", type="sc", lat=40.0, lon=-99.0),
        Facility(id="SC-E", type="sc", lat=40.0, lon=-81.0),
        Facility(id="DS-W", type="ds", lat=40.0, lon=-98.0),
        Facility(id="DS-E", type="ds", lat=40.0, lon=-82.0),
    ]
    zones = [Zone(id="001", lat=40.0, lon=-99.0, station="DS-W", demand=10),
             Zone(id="002", lat=40.0, lon=-97.0, station="DS-W", demand=10),
             Zone(id="003", lat=40.0, lon=-83.0, station="DS-E", demand=10),
             Zone(id="004", lat=40.0, lon=-81.0, station="DS-E", demand=10)]
    lanes = [Lane.model_validate({"from": a, "to": b}) for a, b in
             [("FC-W", "SC-W"), ("SC-W", "DS-W"), ("FC-E", "SC-E"), ("SC-E", "DS-E"),
              ("FC-E2", "SC-E")]]
    return Network(facilities=facilities, zones=zones, lanes=lanes)


def test_assign_facilities__two_medians__fcs_by_nearest_zone_stations_by_demand() -> None:
    # Given medians FC-W and FC-E, zones 001-002 west and 003-004 east
    net = NetworkIndex(_network())
    fcs = net.fc_positions
    km = great_circle_km(net.zone_lat[:, None], net.zone_lon[:, None],
                         net.facility_lat[fcs][None, :], net.facility_lon[fcs][None, :])
    ids = [net.facility_ids[f] for f in fcs.tolist()]
    medians = np.array(sorted([ids.index("FC-W"), ids.index("FC-E")]))
    labels = np.array([0, 0, 1, 1]) if ids.index("FC-W") < ids.index("FC-E") \
        else np.array([1, 1, 0, 0])
    west = int(labels[0])

    # When
    label = assign_facilities(
        Sites(net=net, fcs=fcs, medians=medians, km=km,
              locked_facility=np.zeros(net.n_facilities, dtype=bool)),
        labels=labels, kept_regions=np.zeros(0, dtype=np.intp),
        base_facility_region=np.full(net.n_facilities, -1), p=2)

    # Then
    region = {net.facility_ids[f]: int(label[f]) for f in range(net.n_facilities)}
    assert region["FC-W"] == region["SC-W"] == region["DS-W"] == west
    assert region["FC-E"] == region["FC-E2"] == region["SC-E"] == region["DS-E"] == 1 - west
    assert unreachable_stations(net, label, 2).size == 0


def test_unreachable_stations__station_fed_from_another_region__listed() -> None:
    # Given DS-E in the west region while its only feed (SC-E) is in the east
    net = NetworkIndex(_network())
    label = np.array([0 if f in ("FC-W", "SC-W", "DS-W", "DS-E") else 1
                      for f in net.facility_ids])

    # When
    stations = unreachable_stations(net, label, 2)

    # Then
    assert [net.facility_ids[s] for s in stations.tolist()] == ["DS-E"]
