"""Shared by the REST API tests: a JSON client that sends `Authorization: Bearer <token>`,
the tokens of the five roles, and request bodies built from the east-coast example."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

from rollout.models import Rollout
from rollout.services.rollouts import rollout_pause
from tests.factories import east_coast_files
from tests.rollout_factories import People, original_version, rollout_factory

API = "/api/v1"

#: DESIGN section 7's table: (method, path under /api/v1) with every parameter written "{}".
CONTRACT = frozenset({
    ("GET", "/versions"), ("POST", "/versions"),
    ("GET", "/versions/{}"), ("GET", "/versions/{}/files/{}"), ("GET", "/versions/{}/diff/{}"),
    ("POST", "/simulate"),
    ("GET", "/rollouts"), ("POST", "/rollouts"), ("GET", "/rollouts/{}"),
    *(("POST", f"/rollouts/{{}}/{action}")
      for action in ("approve", "start", "pause", "resume", "rollback", "cancel")),
    ("POST", "/regions/{}/rollback"),
    ("GET", "/active"),
    ("GET", "/route"), ("POST", "/route"),
    ("GET", "/regions/{}/kpis"), ("POST", "/regions/{}/observations"),
    ("GET", "/audit"),
})


class ApiClient:
    """Django's test client speaking JSON to /api/v1 with an optional Bearer token.

    Paths are given without the /api/v1 prefix; `headers` are sent as they are (e.g.
    {"If-None-Match": etag}); `authorization` replaces the whole Authorization header.
    """

    def __init__(self, token: str | None = None, *, client: Client | None = None,
                 authorization: str | None = None) -> None:
        # Like curl or another service: no CSRF token, and a 500 is an answer, not an exception.
        self.client = client or Client(enforce_csrf_checks=True, raise_request_exception=False)
        self.authorization = (authorization if authorization is not None
                              else f"Bearer {token}" if token else None)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": self.authorization} if self.authorization else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, params: dict[str, Any] | None = None, *,
            headers: dict[str, str] | None = None) -> Any:
        return self.client.get(API + path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
             raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps({} if body is None else body)
        return self.client.post(API + path, data, content_type="application/json",
                                headers=self._headers(headers))

    def request(self, method: str, path: str, body: Any = None) -> Any:
        return self.get(path) if method == "GET" else self.post(path, body)


@dataclass(frozen=True)
class Tokens:
    """One token text per role, each for the person of `people()` who has that role (and the
    observer, monitoring's service account `monitoring`)."""

    viewer: str
    editor: str
    approver: str
    operator: str
    observer: str

    def of(self, role: str) -> str:
        return str(getattr(self, role))


def files_body(**replacements: tuple[str, str]) -> dict[str, str]:
    """The east-coast example as the JSON `files` object of POST /versions."""
    return {name: raw.decode() for name, raw in east_coast_files(**replacements).items()}


def rollout_in(state: str, who: People) -> Rollout:
    """A rollout of the original version (one phase, NE) in `state`."""
    taken_to = "running" if state == "paused" else state
    rollout = rollout_factory(original_version(), ["NE"], who=who, state=taken_to)
    if state == "paused":
        rollout = rollout_pause(rollout_id=rollout.id, actor=who.operator)
    return rollout
