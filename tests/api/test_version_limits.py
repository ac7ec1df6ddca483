"""POST /versions over RRM_MAX_FACILITIES / RRM_MAX_ZONES: a JSON 400 saying the limit, with
the E103 finding, nothing stored (never a 500)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import override_settings

from rollout.models import Version
from tests.api.helpers import ApiClient, files_body

pytestmark = pytest.mark.django_db


@override_settings(RRM_MAX_FACILITIES=14)
def test_post_versions__more_facilities_than_allowed__400_with_the_finding(
        as_role: Callable[[str], ApiClient]) -> None:
    # Given a server allowing 14 facilities and the example's 15
    body = {"files": files_body(), "message": "too many facilities"}

    # When an editor posts it
    response = as_role("editor").post("/versions", body)

    # Then a JSON 400 says so with the E103 finding at network.yaml's facilities key
    assert response.status_code == 400
    answer = response.json()
    assert "15 facilities; a version may have at most 14" in answer["detail"]
    [finding] = answer["findings"]
    assert (finding["code"], finding["file"], finding["line"]) == ("E103", "network.yaml", 4)
    assert not Version.objects.exists()
