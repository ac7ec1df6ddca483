"""Pages about the live network cost what the live network costs (issue 12): a version stored
and never rolled out, however large, is not read by the dashboard, its poll or a region page;
the version a rollout in flight is taking live is."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.models import Version
from rollout.web import live_data
from tests.factories import version_factory
from tests.rollout_factories import make_live, original_version, rollout_factory
from tests.web.helpers import assert_page_ok, client_as

pytestmark = pytest.mark.django_db

#: network.yaml edit adding zone 283 (inside SE's "270-319"), so the version has a zone the
#: live network has not
ADD_283 = ('  - {id: "282", lat: 35.23, lon: -80.84, station: DS-CLT4, demand: 5000}\n',
           '  - {id: "282", lat: 35.23, lon: -80.84, station: DS-CLT4, demand: 5000}\n'
           '  - {id: "283", lat: 35.60, lon: -80.50, station: DS-CLT4, demand: 5000}\n')


@pytest.fixture
def bundles_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the versions whose bundles the live pages ask for."""
    read: list[str] = []
    real = live_data.version_bundle

    def spy(*, version: Version) -> Any:
        read.append(version.id)
        return real(version=version)

    monkeypatch.setattr(live_data, "version_bundle", spy)
    return read


def test_live_pages__bigger_version_stored_never_rolled_out__not_read(
        who: Any, bundles_read: list[str]) -> None:
    # Given the example live everywhere, then a bigger valid version stored (the newest) that
    # no rollout takes live
    make_live(original_version())
    bigger = version_factory("one more zone", network=ADD_283)
    assert bigger.valid

    # When the dashboard, its poll and a region page are drawn
    viewer = client_as(who.viewer)
    dashboard = assert_page_ok(viewer.get("/"))
    poll = viewer.get("/live.json?key=old").json()
    region = assert_page_ok(viewer.get("/regions/SE/"))

    # Then none of them reads the stored version or draws its zone
    assert bigger.id not in bundles_read
    assert 'data-zone="283"' not in dashboard and 'data-zone="283"' not in region
    assert "283" not in str(poll["map"])
    assert "11 of 11 zones live" in dashboard


def test_live_pages__version_in_flight__its_new_zones_drawn_not_live(
        who: Any, bundles_read: list[str]) -> None:
    # Given the example live everywhere and an approved rollout of the bigger version
    make_live(original_version())
    bigger = version_factory("one more zone", network=ADD_283)
    rollout_factory(bigger, ["NE", "MA", "SE"], who=who, state="approved")

    # When the dashboard is drawn
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then the zone it is about to take live is drawn, grey, in no region
    assert bigger.id in bundles_read
    assert '<circle cx=' in html and 'data-zone="283" data-region=""' in html


def test_live_pages__every_region_taken_out_of_service__newest_zones_drawn_grey(
        who: Any) -> None:
    # Given the example live, then every region taken out of service, and no rollout in flight
    version = original_version()
    make_live(version)
    make_live(None)

    # When the dashboard is drawn
    html = assert_page_ok(client_as(who.viewer).get("/"))

    # Then nothing is live, and the newest version's zones are drawn grey for context
    assert "Nothing is live yet" in html
    assert 'data-zone="021" data-region=""' in html
