"""The demo bundles, built once per test session (the build is deterministic and cached)."""

from __future__ import annotations

import pytest

from rollout.demo import DemoVersion, demo_bundles
from rollout.domain.validate import ValidationReport, validate_files


@pytest.fixture(scope="session")
def versions() -> list[DemoVersion]:
    return demo_bundles()


@pytest.fixture(scope="session")
def reports(versions: list[DemoVersion]) -> dict[str, ValidationReport]:
    return {v.name: validate_files(v.files) for v in versions}
