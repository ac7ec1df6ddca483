"""/active (the composite state with an ETag) and /route (GET one zone, POST many), with their
query counts pinned: these are the endpoints other systems poll (STYLE.md rule 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.helpers import ApiClient
from tests.rollout_factories import (
    People,
    make_live,
    original_version,
    rerouted_version,
)

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]


# --- GET /active ---------------------------------------------------------------------------


def test_get_active__regions_live__200_per_region_version_activation_and_etag(
        as_role: AsRole, who: People) -> None:
    # Given the original live in NE and MA, and SE not live yet
    version = original_version()
    activations = {a.region: a for a in make_live(version, ["NE", "MA"])}

    # When a viewer reads the composite state
    response = as_role("viewer").get("/active")

    # Then each live region has its version and activation, and the answer has an ETag
    assert response.status_code == 200
    assert response["ETag"] == f'"act-{max(a.id for a in activations.values())}"'
    out = response.json()
    assert set(out["regions"]) == {"NE", "MA"}
    assert out["regions"]["NE"]["version"] == version.id
    assert out["regions"]["NE"]["activation"] == activations["NE"].id
    assert out["regions"]["MA"]["zones"] == 3
    assert out["gaps"] == []


def test_get_active__nothing_live__200_empty_with_an_etag(as_role: AsRole, who: People) -> None:
    response = as_role("viewer").get("/active")

    assert response.status_code == 200 and response.json()["regions"] == {}
    assert response["ETag"]


def test_get_active__matching_if_none_match__304_without_body(as_role: AsRole,
                                                             who: People) -> None:
    # Given a client that read /active once
    make_live(original_version())
    client = as_role("viewer")
    etag = client.get("/active")["ETag"]

    # When it polls again with that ETag
    response = client.get("/active", headers={"If-None-Match": etag})

    # Then nothing changed: 304, the same ETag, no body
    assert response.status_code == 304
    assert response["ETag"] == etag and response.content == b""


def test_get_active__new_activation_after_the_etag__200_with_a_new_etag(
        as_role: AsRole, who: People) -> None:
    # Given a client holding the ETag of the original being live
    make_live(original_version())
    client = as_role("viewer")
    old_etag = client.get("/active")["ETag"]

    # When NE goes onto another version and the client polls with its old ETag
    rerouted = rerouted_version()
    make_live(rerouted, ["NE"])
    response = client.get("/active", headers={"If-None-Match": old_etag})

    # Then it gets the new state with a new ETag
    assert response.status_code == 200
    assert response["ETag"] != old_etag
    assert response.json()["regions"]["NE"]["version"] == rerouted.id


def test_get_active__warm_with_matching_etag__at_most_one_query(
        as_role: AsRole, who: People, django_assert_max_num_queries: Any) -> None:
    # Given a warm process (the token and the composite state are cached)
    make_live(original_version())
    client = as_role("viewer")
    etag = client.get("/active")["ETag"]

    # When a poller asks with the current ETag
    with django_assert_max_num_queries(1):
        response = client.get("/active", headers={"If-None-Match": etag})

    # Then it costs at most the one "newest activation" query
    assert response.status_code == 304


# --- GET /route ----------------------------------------------------------------------------


def test_get_route__live_zone__200_zone_region_version_fcs_and_path(as_role: AsRole,
                                                                    who: People) -> None:
    # Given the original live everywhere
    version = original_version()
    make_live(version)

    # When the order-routing service asks which FCs serve zone 070
    response = as_role("viewer").get("/route", {"zone": "070"})

    # Then it gets exactly the contract's shape
    assert response.status_code == 200
    assert response.json() == {"zone": "070", "region": "NE", "version": version.id,
                               "fcs": ["FC-EWR4", "FC-BOS7"],
                               "path": ["FC-EWR4", "SC-EWR2", "DS-EWR9"]}


@pytest.mark.parametrize("zone", ["282", "999"], ids=["region not live", "unknown zone"])
def test_get_route__zone_not_live__404(as_role: AsRole, who: People, zone: str) -> None:
    # Given NE and MA live, SE (282) not yet
    make_live(original_version(), ["NE", "MA"])

    response = as_role("viewer").get("/route", {"zone": zone})

    assert response.status_code == 404
    assert response.json() == {"detail": f"zone '{zone}' is not live"}


def test_get_route__without_zone__422(as_role: AsRole, who: People) -> None:
    response = as_role("viewer").get("/route")

    assert response.status_code == 422


def test_get_route__warm__at_most_one_query(as_role: AsRole, who: People,
                                           django_assert_max_num_queries: Any) -> None:
    # Given a warm process: token verdict, composite state and route index cached
    make_live(original_version())
    client = as_role("viewer")
    assert client.get("/route", {"zone": "070"}).status_code == 200

    # When zones are looked up again
    with django_assert_max_num_queries(1):
        first = client.get("/route", {"zone": "070"})
        second = client.get("/route", {"zone": "212"})

    # Then two answers cost at most one query between them
    assert first.status_code == second.status_code == 200
    assert second.json()["region"] == "MA"


# --- POST /route ---------------------------------------------------------------------------


def test_post_route__live_and_unknown_zones__200_routes_and_not_live(as_role: AsRole,
                                                                     who: People) -> None:
    make_live(original_version(), ["NE", "MA"])

    response = as_role("viewer").post("/route", {"zones": ["070", "282", "212", "nope"]})

    assert response.status_code == 200
    out = response.json()
    assert [(r["zone"], r["region"]) for r in out["routes"]] == [("070", "NE"), ("212", "MA")]
    assert out["not_live"] == ["282", "nope"]
    single = as_role("viewer").get("/route", {"zone": "070"}).json()
    assert out["routes"][0] == single


def test_post_route__ten_thousand_zones__200(as_role: AsRole, who: People) -> None:
    make_live(original_version())
    zones = ["070", *(f"z{i}" for i in range(9_999))]

    response = as_role("viewer").post("/route", {"zones": zones})

    assert response.status_code == 200
    out = response.json()
    assert len(out["routes"]) == 1 and len(out["not_live"]) == 9_999


@pytest.mark.parametrize("body", [{"zones": []}, {"zones": ["070"] * 10_001}, {},
                                  {"zones": "070"}],
                         ids=["empty", "over 10,000", "no zones", "not a list"])
def test_post_route__bad_zone_list__422(as_role: AsRole, who: People,
                                       body: dict[str, Any]) -> None:
    response = as_role("viewer").post("/route", body)

    assert response.status_code == 422
