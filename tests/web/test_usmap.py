"""The server-side map: the projection must be the one the vendored outlines were drawn with."""

from __future__ import annotations

import pytest

from rollout.web.usmap import network_map, project, region_colours, state_outlines

#: reference points from d3-geo 3 itself: geoAlbersUsa().scale(1300).translate([487.5, 305]),
#: the projection us-atlas's states-albers-10m.json was made with (computed with node once).
D3_ALBERS_USA = [
    ((-71.06, 42.36), (908.6581923717682, 167.09152899454875)),   # Boston
    ((-122.42, 37.77), (34.80003839932533, 261.5405760847491)),   # San Francisco
    ((-80.19, 25.76), (822.78127218592, 572.5722962548817)),      # Miami
    ((-97.74, 30.27), (463.98286394537024, 497.38537645293707)),  # Austin
    ((-149.9, 61.22), (112.27763385875359, 544.2627302213003)),   # Anchorage (inset)
    ((-157.86, 21.31), (266.9239952779229, 549.12040378991)),     # Honolulu (inset)
]


@pytest.mark.parametrize(("lon_lat", "expected"), D3_ALBERS_USA)
def test_project__us_city__lands_where_d3_puts_it(lon_lat: tuple[float, float],
                                                  expected: tuple[float, float]) -> None:
    x, y = project(*lon_lat)  # type: ignore[misc]  # these cities are inside the US
    assert x == pytest.approx(expected[0], abs=0.01)
    assert y == pytest.approx(expected[1], abs=0.01)


def test_project__outside_the_us_insets__is_none() -> None:
    assert project(-66.1, 18.4) is None  # San Juan: d3's AlbersUsa has no Puerto Rico either


def test_state_outlines__every_state_and_dc__has_a_closed_path() -> None:
    outlines = state_outlines()
    names = {name for name, _ in outlines}
    assert {"Massachusetts", "California", "Alaska", "Hawaii", "District of Columbia"} <= names
    assert all(path.startswith("M") and path.endswith("Z") for _, path in outlines)


def test_region_colours__same_region_in_a_smaller_set__keeps_its_colour() -> None:
    universe = ["CE", "GL", "MA", "MT", "NE", "PC", "SC", "SE"]
    everything = region_colours(universe)
    assert region_colours(["SE", "NE"], universe=universe) == {
        "NE": everything["NE"], "SE": everything["SE"]}


def test_network_map__zones_of_a_region_gaps_and_not_live__are_coloured_and_counted() -> None:
    drawn = network_map(zones=[("021", 42.36, -71.06, "NE"), ("282", 35.2, -80.8, None),
                               ("303", 33.7, -84.4, "SE")],
                        colours={"NE": "#111111", "SE": "#222222"}, gaps=["303"])
    fills = {dot.id: dot.colour for dot in drawn.zones}
    assert fills == {"021": "#111111", "282": "#c8ccd2", "303": "#000000"}
    assert ("not live", "#c8ccd2", 1) in drawn.legend
    assert ("gap", "#000000", 1) in drawn.legend


def test_network_map__fit__zooms_to_the_dots() -> None:
    drawn = network_map(zones=[("021", 42.36, -71.06, "NE"), ("100", 40.7, -74.0, "NE")],
                        fit=True)
    left, top, width, height = (float(v) for v in drawn.view_box.split())
    assert 800 < left < 900 and width < 300
    assert 100 < top < 220 and height < 200


def test_network_map__no_place_in_alaska_or_hawaii__their_insets_not_drawn() -> None:
    # Given a network in the lower 48 only (Boston, Austin)
    drawn = network_map(zones=[("021", 42.36, -71.06, "NE"), ("787", 30.27, -97.74, "SW")])

    # Then the states drawn leave out the empty Alaska and Hawaii insets, and keep the rest
    names = {name for name, _ in drawn.states}
    assert "Alaska" not in names and "Hawaii" not in names
    assert {"Massachusetts", "Texas", "District of Columbia"} <= names
    assert len(names) == 49


def test_network_map__a_zone_in_alaska__its_inset_drawn_hawaii_not() -> None:
    # Given a zone in Anchorage and a facility in Boston
    drawn = network_map(zones=[("995", 61.22, -149.9, "AK")],
                        facilities=[("FC-BOS", "fc", 42.36, -71.06, "NE")])

    # Then Alaska's inset is drawn with its zone; Hawaii's is not
    names = {name for name, _ in drawn.states}
    assert "Alaska" in names and "Hawaii" not in names
    assert [z.id for z in drawn.zones] == ["995"]
