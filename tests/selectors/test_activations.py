"""Activation reads for the pages: a region's history (one query, with what a summary names)
and activations by id."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.selectors.activations import activation_list, activation_list_by_id
from tests.rollout_factories import make_live, original_version, rerouted_version

pytestmark = pytest.mark.django_db


def test_activation_list__region_history__newest_first_limited_in_one_query(
        django_assert_num_queries: Any) -> None:
    # Given NE activated three times (and MA once)
    first, second = original_version(), rerouted_version()
    [a1] = make_live(first, ["NE"])
    make_live(first, ["MA"])
    [a2] = make_live(second, ["NE"])
    [a3] = make_live(first, ["NE"])
    # When NE's history is read with its versions and actors, Then one query, newest first
    with django_assert_num_queries(1):
        history = activation_list(region="NE")
        assert [(a.version.id if a.version else None, a.actor) for a in history] == [
            (first.id, None), (second.id, None), (first.id, None)]
    assert history == [a3, a2, a1]
    assert activation_list(region="NE", limit=2) == [a3, a2]


def test_activation_list_by_id__some_ids__those_found_with_their_versions(
        django_assert_num_queries: Any) -> None:
    version = original_version()
    ne, ma, _se = make_live(version)
    with django_assert_num_queries(1):
        found = activation_list_by_id(ids=[ne.id, ma.id, ne.id + 999])
        assert {(a.region, a.version.id if a.version else None) for a in found} == {
            ("NE", version.id), ("MA", version.id)}
