"""known_region_codes: every valid stored version's region codes, in one query that reads the
distinct lists of codes rather than every version's whole stats."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.selectors.regions import known_region_codes
from tests.factories import version_factory
from tests.rollout_factories import (
    moved_282_version,
    original_version,
    rerouted_version,
)

pytestmark = pytest.mark.django_db

RENAME_SE = ("  - code: SE\n", "  - code: SO\n")


def test_known_region_codes__versions_sharing_their_regions__one_query_of_codes_only(
        django_assert_num_queries: Any) -> None:
    # Given three valid versions with the same three regions
    original_version(), rerouted_version(), moved_282_version()

    # When the codes are asked for, Then one query reads the codes, not the whole stats
    with django_assert_num_queries(1) as captured:
        assert known_region_codes() == {"NE", "MA", "SE"}
    sql = captured.captured_queries[0]["sql"]
    assert "DISTINCT" in sql and "region_codes" in sql


def test_known_region_codes__valid_version_names_a_new_region__included() -> None:
    original_version()
    version_factory("SE renamed SO", regions=RENAME_SE)

    assert known_region_codes() == {"NE", "MA", "SE", "SO"}


def test_known_region_codes__invalid_version__not_included() -> None:
    # Given a version naming region SO, marked invalid
    original_version()
    broken = version_factory("SO", regions=RENAME_SE)
    broken.valid = False
    broken.save(update_fields=["valid"])

    assert known_region_codes() == {"NE", "MA", "SE"}
