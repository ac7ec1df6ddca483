"""/versions, /versions/{id}, its files and diffs, and /simulate (DESIGN section 7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rollout.models import AuditEvent, Version
from tests.api.helpers import ApiClient, files_body
from tests.factories import EAST_COAST, version_factory
from tests.rollout_factories import NEWARK_FROM_BOSTON, original_version, rerouted_version

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]
BROKEN_STATION = ("station: DS-ATL2", "station: DS-NOPE")


# --- GET /versions -------------------------------------------------------------------------


def test_get_versions__two_stored__page_newest_first_without_findings(as_role: AsRole) -> None:
    # Given two versions
    first, second = original_version(), rerouted_version()

    # When a viewer lists them
    response = as_role("viewer").get("/versions")

    # Then both come back, newest first, with the page bounds
    assert response.status_code == 200
    page = response.json()
    assert (page["count"], page["limit"], page["offset"]) == (2, 50, 0)
    assert [v["id"] for v in page["items"]] == [second.id, first.id]
    assert page["items"][0]["valid"] is True and page["items"][0]["findings"] == []


def test_get_versions__limit_and_offset__one_page_of_one(as_role: AsRole) -> None:
    first, _ = original_version(), rerouted_version()

    page = as_role("viewer").get("/versions", {"limit": 1, "offset": 1}).json()

    assert page["count"] == 2 and [v["id"] for v in page["items"]] == [first.id]


# --- POST /versions ------------------------------------------------------------------------


def test_post_versions__new_content__201_with_id_validity_findings_and_author(
        as_role: AsRole) -> None:
    # Given the east-coast example as JSON text
    body = {"files": files_body(), "message": "the east coast"}

    # When an editor posts it
    response = as_role("editor").post("/versions", body)

    # Then it is stored once, valid, authored by the token's user
    assert response.status_code == 201
    out = response.json()
    stored = Version.objects.get()
    assert out["id"] == stored.id and out["valid"] is True and out["findings"] == []
    assert out["author"] == "edna" and out["message"] == "the east coast"
    assert out["files"] == sorted(p.name for p in EAST_COAST.glob("*.yaml"))
    assert AuditEvent.objects.filter(action="version.created", object_id=stored.id).count() == 1


def test_post_versions__same_content_again__200_with_the_existing_version(
        as_role: AsRole) -> None:
    # Given a stored version
    existing = original_version()

    # When the same bytes are posted again with another message
    response = as_role("editor").post("/versions", {"files": files_body(),
                                                    "message": "once more"})

    # Then the existing version comes back, and nothing new is stored
    assert response.status_code == 200
    assert response.json()["id"] == existing.id and Version.objects.count() == 1


def test_post_versions__invalid_bundle__201_stored_with_positioned_findings(
        as_role: AsRole) -> None:
    # Given a bundle whose delivery station does not exist (invalid, but storable)
    body = {"files": files_body(network=BROKEN_STATION), "message": "typo"}

    # When it is posted
    response = as_role("editor").post("/versions", body)

    # Then it is stored as invalid, with findings pointing into the file
    assert response.status_code == 201
    out = response.json()
    assert out["valid"] is False and out["errors"] >= 1
    finding = next(f for f in out["findings"] if f["severity"] == "error")
    assert finding["file"] == "network.yaml" and finding["line"] > 0 and finding["column"] > 0


@pytest.mark.parametrize(("files", "message", "detail"), [
    ({"../network.yaml": "facilities: []\n"}, "path in a name", "unusable file name"),
    ({"network.txt": "facilities: []\n"}, "not yaml", "unusable file name"),
    ({"network.yaml": "facilities: []\n"}, "   ", "needs a message"),
    ({"network.yaml": "zones: [\x00]\n"}, "NUL byte", "not a UTF-8 text file"),
], ids=["path in the name", "not a yaml name", "blank message", "NUL character"])
def test_post_versions__unstorable__400_with_detail(as_role: AsRole, files: dict[str, str],
                                                   message: str, detail: str) -> None:
    # When an editor posts something that cannot be stored at all
    response = as_role("editor").post("/versions", {"files": files, "message": message})

    # Then it is refused with 400 and the reason, and nothing is stored
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert not Version.objects.exists()


def test_post_versions__lone_surrogate_in_a_file__400_not_500(as_role: AsRole) -> None:
    """JSON may carry "\\ud800", which no UTF-8 file can hold: bad input, never a 500.

    Product bug (kept failing on purpose): rollout/api/versions.py encodes each text with
    `t.encode()`, which raises UnicodeEncodeError for a lone surrogate.
    """
    # Given a JSON body whose file text is a lone UTF-16 surrogate
    raw = '{"files": {"network.yaml": "zones: [\\ud800]"}, "message": "surrogate"}'

    # When it is posted
    response = as_role("editor").post("/versions", raw=raw)

    # Then it is refused as unstorable
    assert response.status_code == 400
    assert not Version.objects.exists()


@pytest.mark.parametrize("body", [
    {"message": "no files"},
    {"files": {}, "message": "empty files"},
    {"files": {"network.yaml": "a: 1"}},
    {"files": {"network.yaml": "a: 1"}, "message": ""},
    {"files": {"network.yaml": 12}, "message": "text is a number"},
    {"files": ["network.yaml"], "message": "files is a list"},
], ids=["no files", "empty files", "no message", "empty message", "number as text",
        "list of files"])
def test_post_versions__schema_error__422_with_locations(as_role: AsRole,
                                                        body: dict[str, object]) -> None:
    response = as_role("editor").post("/versions", body)

    assert response.status_code == 422
    assert all(item["loc"][0] == "body" for item in response.json()["detail"])
    assert not Version.objects.exists()


def test_post_versions__unknown_parent__404(as_role: AsRole) -> None:
    response = as_role("editor").post("/versions", {"files": files_body(), "message": "m",
                                                    "parent": "ffffffffffff"})

    assert response.status_code == 404 and "no version" in response.json()["detail"]


# --- GET /versions/{id}, files, diff -------------------------------------------------------


def test_get_version__by_id_or_prefix__200_with_findings(as_role: AsRole) -> None:
    version = original_version()

    by_id = as_role("viewer").get(f"/versions/{version.id}")
    by_prefix = as_role("viewer").get(f"/versions/{version.id[:6]}")

    assert by_id.status_code == by_prefix.status_code == 200
    assert by_id.json() == by_prefix.json()
    assert by_id.json()["id"] == version.id and by_id.json()["findings"] == []


@pytest.mark.parametrize("ref", ["ffffffffffff", "ab"], ids=["unknown", "too short a prefix"])
def test_get_version__unknown__404(as_role: AsRole, ref: str) -> None:
    original_version()

    response = as_role("viewer").get(f"/versions/{ref}")

    assert response.status_code == 404 and "no version" in response.json()["detail"]


def test_get_version_file__stored_file__200_with_the_exact_text(as_role: AsRole) -> None:
    # Given a version of the example (comments and layout included)
    version = original_version()
    expected = (EAST_COAST / "routing.yaml").read_text(encoding="utf-8")

    # When its routing.yaml is read
    response = as_role("viewer").get(f"/versions/{version.id}/files/routing.yaml")

    # Then the text comes back byte for byte
    assert response.status_code == 200
    assert response.content.decode("utf-8") == expected
    assert response["Content-Type"].startswith("application/yaml")


@pytest.mark.parametrize("path", ["/versions/{id}/files/nope.yaml",
                                  "/versions/ffffffffffff/files/network.yaml"],
                         ids=["unknown file", "unknown version"])
def test_get_version_file__unknown__404(as_role: AsRole, path: str) -> None:
    version = original_version()

    response = as_role("viewer").get(path.format(id=version.id))

    assert response.status_code == 404


def test_get_diff__routing_edited__semantic_route_changes_and_unified_text(
        as_role: AsRole) -> None:
    # Given the example and a version where Newark's zones ship from Boston first
    old, new = original_version(), rerouted_version()

    # When their diff is asked for
    response = as_role("viewer").get(f"/versions/{old.id}/diff/{new.id}")

    # Then the semantic diff names the rerouted zones and the text diff the edited line
    assert response.status_code == 200
    diff = response.json()
    assert (diff["a"], diff["b"]) == (old.id, new.id)
    changes = diff["semantic"]["routes"]["changes"]["items"]
    assert {c["zone"] for c in changes} == {"070", "071"}
    assert changes[0]["new_fcs"] == ["FC-BOS7", "FC-EWR4"]
    [routing] = diff["files"]
    assert routing["name"] == "routing.yaml" and routing["status"] == "modified"
    assert f"-    {NEWARK_FROM_BOSTON[0]}" in routing["diff"]
    assert f"+    {NEWARK_FROM_BOSTON[1]}" in routing["diff"]


def test_get_diff__unknown_side__404(as_role: AsRole) -> None:
    version = original_version()

    response = as_role("viewer").get(f"/versions/{version.id}/diff/ffffffffffff")

    assert response.status_code == 404


# --- POST /simulate ------------------------------------------------------------------------


def test_post_simulate__valid_version__200_kpis_per_region_and_in_total(as_role: AsRole) -> None:
    version = original_version()

    response = as_role("viewer").post("/simulate", {"version": version.id})

    assert response.status_code == 200
    result = response.json()
    assert set(result["regions"]) == {"NE", "MA", "SE"}
    assert result["total"]["orders"] == sum(r["orders"] for r in result["regions"].values())
    assert 0 <= result["total"]["in_region_pct"] <= 100


def test_post_simulate__with_baseline__200_with_baseline_and_delta(as_role: AsRole) -> None:
    old, new = original_version(), rerouted_version()

    result = as_role("viewer").post("/simulate", {"version": new.id,
                                                  "baseline": old.id}).json()

    assert {"total", "regions", "baseline", "delta"} <= set(result)


def test_post_simulate__unknown_version__404(as_role: AsRole) -> None:
    response = as_role("viewer").post("/simulate", {"version": "ffffffffffff"})

    assert response.status_code == 404


def test_post_simulate__invalid_version__409(as_role: AsRole) -> None:
    broken = version_factory("broken", network=BROKEN_STATION)

    response = as_role("viewer").post("/simulate", {"version": broken.id})

    assert response.status_code == 409 and "error" in response.json()["detail"]


@pytest.mark.parametrize("demand", [{"orders": "many"}, {"no_such_setting": 1}],
                         ids=["wrong type", "unknown key"])
def test_post_simulate__bad_demand__422_not_500(as_role: AsRole,
                                               demand: dict[str, object]) -> None:
    """Product bug (kept failing on purpose): rollout/api/versions.py validates `demand` with
    `Demand.model_validate` inside the view, and nothing maps pydantic's ValidationError."""
    version = original_version()

    response = as_role("viewer").post("/simulate", {"version": version.id, "demand": demand})

    assert response.status_code == 422
