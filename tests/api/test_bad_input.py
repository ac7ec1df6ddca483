"""Bad input anywhere is a 4xx with a detail, never a 500 (DESIGN section 7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.helpers import ApiClient
from tests.rollout_factories import People, original_version

pytestmark = pytest.mark.django_db

AsRole = Callable[[str], ApiClient]


@pytest.mark.parametrize("path", ["/versions", "/rollouts", "/audit", "/regions/NE/kpis"])
def test_list_endpoint__offset_beyond_a_64_bit_integer__no_server_error(
        as_role: AsRole, who: People, path: str) -> None:
    """Product bug (kept failing on purpose): `rollout.api.common.bounds` clamps the limit but
    not the offset, and an OFFSET past 2**63-1 makes the database driver fail (SQLite:
    "datatype mismatch"; PostgreSQL: "bigint out of range")."""
    original_version()

    response = as_role("viewer").get(path, {"offset": 10**20})

    assert response.status_code in (200, 422), response.status_code
    if response.status_code == 200:
        assert response.json()["items"] == []


@pytest.mark.parametrize("raw", ["{not json", '{"zones": ["070"]', ""],
                         ids=["garbage", "truncated", "empty body"])
def test_post__malformed_json__400_or_422(as_role: AsRole, who: People, raw: str) -> None:
    response = as_role("viewer").post("/route", raw=raw)

    assert response.status_code in (400, 422)
    assert "detail" in response.json()


@pytest.mark.parametrize("raw", ["[]", '"070"', "null", "42"])
def test_post__json_that_is_not_an_object__422(as_role: AsRole, who: People, raw: str) -> None:
    response = as_role("viewer").post("/route", raw=raw)

    assert response.status_code == 422


def test_get__unknown_api_path__404(as_role: AsRole, who: People) -> None:
    response = as_role("viewer").get("/nowhere")

    assert response.status_code == 404


def test_get__on_a_post_only_path__405(as_role: AsRole, who: People) -> None:
    response = as_role("viewer").get("/simulate")

    assert response.status_code == 405


@pytest.mark.parametrize("rollout_id", ["abc", "1.5", str(10**30)],
                         ids=["not a number", "fraction", "beyond 64 bits"])
def test_get_rollout__id_not_a_usable_integer__4xx(as_role: AsRole, who: People,
                                                  rollout_id: str) -> None:
    response = as_role("viewer").get(f"/rollouts/{rollout_id}")

    assert response.status_code in (404, 422)
