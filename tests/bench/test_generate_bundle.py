"""The benchmark's bundle generator makes valid, deterministic bundles (no timings here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bench.generate_bundle import generate_bundle
from rollout.domain.bundle import parse_bundle, read_bundle_path

SMALL = {"zones": 500, "facilities": 60, "lanes": 200, "regions": 4, "seed": 3}
FILES = ("network.yaml", "regions.yaml", "routing.yaml", "demand.yaml")


def test_generate_bundle__small__parses_without_findings(tmp_path: Path) -> None:
    # Given a small generated bundle
    counts = generate_bundle(tmp_path, **SMALL)

    # When it is parsed and schema-checked
    parsed = parse_bundle(read_bundle_path(tmp_path))

    # Then there are no findings and the counts are the requested ones
    assert [f.as_text() for f in parsed.findings] == []
    assert parsed.bundle is not None
    network = parsed.bundle.network
    assert len(network.zones) == counts["zones"] == 500
    assert len(network.facilities) == counts["facilities"] == 60
    assert len(network.lanes) == counts["lanes"] == 200
    assert len(parsed.bundle.regions.regions) == counts["regions"] == 4
    assert len(parsed.bundle.routing.routes) == counts["routes"]
    assert all(len(z.id) == 5 and z.id.isdigit() for z in network.zones)
    assert sum(counts[f"bytes:{name}"] for name in FILES) == counts["bytes"]


@pytest.mark.skipif(
    importlib.util.find_spec("rollout.domain.checks") is None,
    reason="rollout.domain.checks is not written yet",
)
def test_generate_bundle__small__validates_without_errors(tmp_path: Path) -> None:
    from rollout.domain.validate import validate_files

    # Given a small generated bundle
    generate_bundle(tmp_path, **SMALL)

    # When the whole check catalogue runs over it
    report = validate_files(read_bundle_path(tmp_path))

    # Then it has no errors
    assert [f.as_text() for f in report.findings if f.severity == "error"] == []


def test_generate_bundle__same_parameters__identical_files(tmp_path: Path) -> None:
    # Given two bundles generated with the same parameters
    generate_bundle(tmp_path / "a", **SMALL)
    generate_bundle(tmp_path / "b", **SMALL)

    # Then every file is byte for byte the same (benchmarks compare like with like)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_generate_bundle__more_lanes_than_pairs__capped_without_duplicates(
    tmp_path: Path,
) -> None:
    # Given a network far too small for the requested number of lanes
    counts = generate_bundle(tmp_path, **{**SMALL, "lanes": 100_000})

    # When it is parsed
    parsed = parse_bundle(read_bundle_path(tmp_path))

    # Then fewer lanes were written, none of them twice
    assert parsed.bundle is not None
    pairs = [(lane.from_, lane.to) for lane in parsed.bundle.network.lanes]
    assert len(pairs) == counts["lanes"] < 100_000
    assert len(set(pairs)) == len(pairs)
