"""known_region_codes: every valid stored version's region codes, read again only when a valid
version was added (one aggregate query per page otherwise)."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.services.kpis import known_region_codes
from tests.factories import version_factory
from tests.rollout_factories import original_version

pytestmark = pytest.mark.django_db

RENAME_SE = ("  - code: SE\n", "  - code: SO\n")


def test_known_region_codes__no_version_added__one_query(
        django_assert_num_queries: Any) -> None:
    # Given a stored version whose codes were read once
    original_version()
    assert known_region_codes() == {"NE", "MA", "SE"}

    # When they are asked for again, Then one small query answers
    with django_assert_num_queries(1):
        assert known_region_codes() == {"NE", "MA", "SE"}


def test_known_region_codes__valid_version_added__its_codes_included() -> None:
    # Given the codes read once
    original_version()
    assert known_region_codes() == {"NE", "MA", "SE"}

    # When a version naming a new region is stored
    version_factory("SE renamed SO", regions=RENAME_SE)

    # Then its code is known at once
    assert known_region_codes() == {"NE", "MA", "SE", "SO"}
