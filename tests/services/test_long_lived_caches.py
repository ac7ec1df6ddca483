"""Long-lived caches are frozen out of the cyclic garbage collector, so a full collection does
not walk a parsed bundle again in some unlucky request (a 100-200 ms pause, bench/pages.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from rollout.selectors import versions as version_selectors
from rollout.selectors.versions import version_bundle
from rollout.services.live import live_state
from tests.rollout_factories import make_live, original_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    version_selectors._bundle_of.cache_clear()
    yield
    gc.unfreeze()


def test_version_bundle__parsed_on_a_cache_miss__is_frozen() -> None:
    # Given a version whose bundle is not cached yet
    version = original_version()
    version_selectors._bundle_of.cache_clear()
    gc.unfreeze()
    # When it is parsed
    bundle = version_bundle(version=version)
    # Then it is in the permanent generation: the collector no longer scans it
    assert bundle is not None
    assert gc.get_freeze_count() > 0
    assert not any(obj is bundle for obj in gc.get_objects())


def test_live_state__rebuilt__is_frozen() -> None:
    make_live(original_version())
    gc.unfreeze()
    state = live_state()
    assert not any(obj is state for obj in gc.get_objects())


def test_live_state_routes__unknown_zones__answered_none_and_not_kept() -> None:
    # Given the live state, and callers asking for zones that do not exist, one by one and
    # ten thousand at once (a viewer token can send as many as it likes)
    make_live(original_version())
    state = live_state()
    live_zone = next(iter(state.zone_owner))
    unknown = [f"nope-{i:06d}" for i in range(10_000)]

    # When they ask
    singles = [state.route(zone) for zone in unknown[:100]]
    found, missing = state.routes([live_zone, *unknown])

    # Then the unknown zones are answered "not live" and only the live zone is kept: what is
    # kept is bounded by the live network, not by what callers send
    assert singles == [None] * 100
    assert [answer["zone"] for answer in found] == [live_zone] and missing == unknown
    assert list(state._answers) == [live_zone]
