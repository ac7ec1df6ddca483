"""The process's caches (rollout.caches) hold at most RRM_CACHE_MB together, least recently
used dropped first; parsed bundles, listings and diffs are kept by id, never by file text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from rollout import caches
from rollout.caches import bounded_cache, cache_info, deep_size
from rollout.selectors import versions as version_selectors
from rollout.selectors.versions import version_bundle
from rollout.web.highlight import listing
from tests.rollout_factories import original_version

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _empty() -> Iterator[None]:
    caches.cache_clear()
    yield
    caches.cache_clear()


@bounded_cache(size_of=lambda value, *_: len(value))
def _blob(name: str, size: int) -> bytes:
    return b"x" * size


@override_settings(RRM_CACHE_MB=1)
def test_bounded_cache__over_the_budget__least_recently_used_dropped() -> None:
    # Given a 1 MiB budget holding two 400 KiB entries, the first used again since
    _blob("a", 400 * 1024)
    _blob("b", 400 * 1024)
    _blob("a", 400 * 1024)
    assert _blob.cache_info().hits == 1

    # When a third entry arrives
    _blob("c", 400 * 1024)

    # Then "b", the least recently used, is gone; the total stays within the budget
    info = _blob.cache_info()
    assert (info.entries, info.bytes) == (2, 800 * 1024)
    assert cache_info().bytes <= MIB
    before = info.misses
    _blob("a", 400 * 1024)
    assert _blob.cache_info().misses == before  # still there
    _blob("b", 400 * 1024)
    assert _blob.cache_info().misses == before + 1  # made again


@override_settings(RRM_CACHE_MB=1)
def test_bounded_cache__entry_larger_than_the_budget__returned_not_kept() -> None:
    value = _blob("huge", 2 * MIB)

    assert len(value) == 2 * MIB
    assert _blob.cache_info().entries == 0 and cache_info().bytes == 0


@pytest.mark.django_db
def test_version_bundle__parsed__kept_by_id_with_its_weight() -> None:
    # Given a stored version
    version = original_version()
    version_selectors._bundle_of.cache_clear()
    info = version_selectors._bundle_of.cache_info()
    hits, misses = info.hits, info.misses

    # When its bundle is asked for twice
    first = version_bundle(version=version)
    again = version_bundle(version=version)

    # Then it was parsed once and is counted at about 13 bytes per byte of its YAML
    assert first is again is not None
    info = version_selectors._bundle_of.cache_info()
    assert (info.hits - hits, info.misses - misses, info.entries) == (1, 1, 1)
    assert info.bytes == 4096 + 13 * version.stats["bytes"]


@pytest.mark.django_db
def test_version_bundle__budget_smaller_than_the_bundle__parsed_each_time_never_kept() -> None:
    version = original_version()
    version_selectors._bundle_of.cache_clear()
    misses = version_selectors._bundle_of.cache_info().misses
    with override_settings(RRM_CACHE_MB=0):
        assert version_bundle(version=version) is not None
        assert version_bundle(version=version) is not None
    info = version_selectors._bundle_of.cache_info()
    assert (info.misses - misses, info.entries, info.bytes) == (2, 0, 0)


def test_listing__cached__keyed_by_version_and_file_never_by_its_text() -> None:
    # Given a listing of a large file
    text = "zones:\n" + "".join(f'  - {{id: "{i:05}"}}\n' for i in range(20_000))
    listing(version_id="abc", name="network.yaml", text=text, notes={})

    # Then the cache holds it under the version id and file name; no key holds the text
    keys = [key for (_, key) in caches._pool.entries]
    assert len(keys) == 1
    assert isinstance(keys[0], tuple) and keys[0][:2] == ("abc", "network.yaml")
    assert deep_size(keys) < 2_000


@pytest.mark.django_db
def test_version_bundle__versions_sharing_a_file__share_its_parse_and_equal_a_full_parse(
) -> None:
    # Given two stored versions that differ in routing only (network.yaml byte for byte alike)
    from rollout.domain.bundle import parse_bundle
    from rollout.selectors.versions import version_raw_files
    from tests.rollout_factories import rerouted_version

    original, rerouted = original_version(), rerouted_version()

    # When both bundles are read
    first, second = version_bundle(version=original), version_bundle(version=rerouted)

    # Then they share one parse of the network, and each equals a parse of its whole bundle
    assert first is not None and second is not None
    assert first.network is second.network
    assert first.routing != second.routing
    for version, bundle in ((original, first), (rerouted, second)):
        assert bundle == parse_bundle(version_raw_files(version=version)).bundle
