"""Fixtures of the REST API tests: the people of `people()` and monitoring's service account
(observer) with one token each, an `api_client(token)` factory, and clean per-process caches
(tokens, live state, rate-limit counters) around every test, and `eager_celery` (tasks run
in this process, as a worker would run them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from rollout.services.roles import Role, role_grant
from rollout.services.tokens import token_create, tokens_forget
from tests.api.helpers import ApiClient, Tokens
from tests.factories import user_factory
from tests.rollout_factories import People


@pytest.fixture(autouse=True)
def _clean_process_caches() -> Iterator[None]:
    """Token verdicts and rate-limit counters live in the process, and row ids are reused once
    a test's transaction rolls back: every test starts without them (the live state is reset
    for every test by tests/conftest.py)."""
    tokens_forget()
    cache.clear()
    yield
    tokens_forget()
    cache.clear()


@pytest.fixture
def tokens(who: People) -> Tokens:
    def make(user: Any, role: Role) -> str:
        return token_create(user=user, role=role, name=f"test {role.value}")[1]

    monitoring = user_factory("monitoring")
    role_grant(user=monitoring, role=Role.OBSERVER)
    return Tokens(viewer=make(who.viewer, Role.VIEWER), editor=make(who.editor, Role.EDITOR),
                  approver=make(who.approver, Role.APPROVER),
                  operator=make(who.operator, Role.OPERATOR),
                  observer=make(monitoring, Role.OBSERVER))


@pytest.fixture
def api_client() -> Callable[..., ApiClient]:
    """`api_client(token)`: a client sending that Bearer token (None: no Authorization)."""
    return ApiClient


@pytest.fixture
def as_role(tokens: Tokens) -> Callable[[str], ApiClient]:
    """`as_role("operator")`: a client with that role's token."""
    return lambda role: ApiClient(tokens.of(role))


