"""The registry of checks, kept apart so check modules can import `check` without cycles."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rollout.domain.findings import Finding

if TYPE_CHECKING:
    from rollout.domain.checks.context import CheckContext

CheckFunction = Callable[["CheckContext"], Iterable[Finding]]


@dataclass(frozen=True)
class RegisteredCheck:
    codes: tuple[str, ...]
    function: CheckFunction


REGISTRY: list[RegisteredCheck] = []


def check(*codes: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function for the codes it reports."""

    def register(function: CheckFunction) -> CheckFunction:
        REGISTRY.append(RegisteredCheck(codes=codes, function=function))
        return function

    return register
