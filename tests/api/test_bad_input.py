"""Bad input anywhere is a 4xx with a detail, never a 500 (DESIGN section 7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_django.fixtures import Settings

from tests.api.helpers import ApiClient
from tests.domain.test_yaml_conformance import CASES as SUITE_CASES
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


def test_post_versions__every_yaml_test_suite_case__answers_and_never_a_server_error(
        as_role: AsRole, who: People, settings: Settings,
        capfd: pytest.CaptureFixture[str]) -> None:
    """The public YAML test suite (tests/data/yaml-test-suite) posted as single-file bundles:
    it found the crash on two empty keys (`: a` then `: b`), a 500 here."""
    # Given an editor allowed to post all 402 cases in one go
    settings.RRM_WRITE_RATE_PER_MINUTE = 10**6
    editor = as_role("editor")
    capfd.readouterr()

    # When each case is posted as the one file of a bundle
    answers = {}
    for case in SUITE_CASES:
        response = editor.post("/versions", {"files": {"bundle.yaml": case.yaml},
                                             "message": f"yaml-test-suite {case.id}"})
        answers[case.id] = (response.status_code,
                            response.json() if response.status_code < 500 else {})

    # Then each is stored (or found stored) with findings: never a 500, never accepted as
    # valid, and every case the suite marks invalid carries E100
    unexpected = {case_id: status for case_id, (status, _) in answers.items()
                  if status not in (200, 201)}
    assert unexpected == {}
    assert not any(body["valid"] for _, body in answers.values())
    without_e100 = [case.id for case in SUITE_CASES if case.fail and "E100" not in {
        finding["code"] for finding in answers[case.id][1]["findings"]}]
    assert without_e100 == []
    # and rapidyaml's C++ parse errors did not reach the server's stderr (its log)
    assert "ERROR: [" not in capfd.readouterr().err
