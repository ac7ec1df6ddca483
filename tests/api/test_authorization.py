"""Who may call what (DESIGN section 7): every endpoint × every role's token, no token, an
expired, a revoked and a malformed one; /healthz without a token. Token lifecycle details and
browser sessions are in test_credentials.py.

Roles: the viewer reads; the editor creates versions and draft rollouts and cancels drafts;
the approver approves; the operator starts, pauses, resumes, rolls back (rollouts and single
regions) and may cancel; observations need an observer (monitoring's service account) or an
operator, never an editor; everyone may read.
Clients send no CSRF token, as curl or another service would not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from rollout.models import ApiToken, Rollout, Version
from rollout.services.roles import Role, role_grant
from rollout.services.tokens import token_create, token_revoke, tokens_forget
from tests.api.helpers import CONTRACT, ApiClient, Tokens, files_body
from tests.factories import user_factory
from tests.rollout_factories import (
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

ROLES = ("viewer", "editor", "approver", "operator", "observer")
EVERYONE = frozenset(ROLES)
BAD_AUTH = ("no token", "expired token", "revoked token", "malformed header")
#: valid tokens whose user lost the token's role (a token's rights are its role *and* its
#: user's current roles): the first may do nothing, the second only read
ROLES_GONE = ("operator token, every role taken from its user",
              "observer token, user now only an editor")
ALLOWED = "allowed"


@dataclass(frozen=True)
class World:
    """What the paths point at: two versions, the original live everywhere, and a draft, an
    approved and a running rollout of the rerouted version."""

    original: Version
    rerouted: Version
    draft: Rollout
    approved: Rollout
    running: Rollout


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # str.format'ed with the World's fields
    allowed: frozenset[str]
    body: dict[str, Any] = field(default_factory=dict)
    public: bool = False  # needs no token at all

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def contract(self) -> tuple[str, str]:
        """(method, path) with every parameter written "{}", as in `CONTRACT`."""
        return self.method, re.sub(r"\{[^}]*\}|/NE/|network\.yaml", _blank,
                                   self.path.split("?")[0])


def _blank(match: re.Match[str]) -> str:
    return "/{}/" if match.group(0) == "/NE/" else "{}"


def _only(*roles: str) -> frozenset[str]:
    return frozenset(roles)


ENDPOINTS = [
    Endpoint("GET", "/versions", EVERYONE),
    Endpoint("POST", "/versions", _only("editor"), {"files": "EAST_COAST", "message": "m"}),
    Endpoint("GET", "/versions/{original.id}", EVERYONE),
    Endpoint("GET", "/versions/{original.id}/files/network.yaml", EVERYONE),
    Endpoint("GET", "/versions/{original.id}/diff/{rerouted.id}", EVERYONE),
    Endpoint("POST", "/simulate", EVERYONE, {"version": "{original.id}"}),
    Endpoint("GET", "/rollouts", EVERYONE),
    Endpoint("POST", "/rollouts", _only("editor"),
             {"version": "{rerouted.id}", "phases": [{"regions": ["NE"]}]}),
    Endpoint("GET", "/rollouts/{draft.id}", EVERYONE),
    Endpoint("POST", "/rollouts/{draft.id}/approve", _only("approver")),
    Endpoint("POST", "/rollouts/{approved.id}/start", _only("operator")),
    Endpoint("POST", "/rollouts/{running.id}/pause", _only("operator")),
    Endpoint("POST", "/rollouts/{running.id}/resume", _only("operator")),
    Endpoint("POST", "/rollouts/{draft.id}/cancel", _only("editor", "operator")),
    Endpoint("POST", "/rollouts/{running.id}/rollback", _only("operator"), {"reason": "r"}),
    Endpoint("POST", "/regions/NE/rollback", _only("operator"),
             {"version": "{original.id}", "reason": "r"}),
    Endpoint("GET", "/active", EVERYONE),
    Endpoint("GET", "/route?zone=070", EVERYONE),
    Endpoint("POST", "/route", EVERYONE, {"zones": ["070"]}),
    Endpoint("GET", "/regions/NE/kpis", EVERYONE),
    Endpoint("POST", "/regions/NE/observations", _only("operator", "observer"),
             {"values": {"trucks": 1}}),
    Endpoint("GET", "/audit", EVERYONE),
    Endpoint("GET", "/healthz", EVERYONE, public=True),
]


@pytest.fixture
def world(who: People) -> World:
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    return World(original=original, rerouted=rerouted,
                 draft=rollout_factory(rerouted, who=who),
                 approved=rollout_factory(rerouted, who=who, state="approved"),
                 running=rollout_factory(rerouted, ["NE"], ["MA", "SE"], who=who,
                                         state="running"))


@pytest.fixture
def callers(tokens: Tokens, who: People) -> dict[str, ApiClient]:
    """A client per role's token, and the four ways of not having a valid one."""
    _, expired = token_create(user=who.operator, role=Role.OPERATOR, expires_in_days=1)
    ApiToken.objects.filter(expires_at__isnull=False).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    revoked_row, revoked = token_create(user=who.operator, role=Role.OPERATOR)
    token_revoke(token_id=revoked_row.id, actor=None)
    stripped = user_factory("former-operator")
    role_grant(user=stripped, role=Role.OPERATOR)
    _, orphaned = token_create(user=stripped, role=Role.OPERATOR)
    stripped.groups.clear()
    moved = user_factory("former-observer")
    role_grant(user=moved, role=Role.OBSERVER)
    _, moved_token = token_create(user=moved, role=Role.OBSERVER)
    moved.groups.clear()
    role_grant(user=moved, role=Role.EDITOR)
    tokens_forget()
    return {**{role: ApiClient(tokens.of(role)) for role in ROLES},
            ROLES_GONE[0]: ApiClient(orphaned), ROLES_GONE[1]: ApiClient(moved_token),
            "no token": ApiClient(None), "expired token": ApiClient(expired),
            "revoked token": ApiClient(revoked),
            "malformed header": ApiClient(authorization=f"Token {tokens.operator}")}


def _fill(value: Any, world: World) -> Any:
    if value == "EAST_COAST":
        return files_body()
    if isinstance(value, str):
        return value.format(**world.__dict__)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def _call(client: ApiClient, endpoint: Endpoint, world: World) -> Any:
    path = endpoint.path.format(**world.__dict__)
    if endpoint.method == "GET":
        return client.client.get(f"/api/v1{path}", headers=client._headers(None))
    return client.post(path, _fill(endpoint.body, world))


def _verdict(status: int) -> int | str:
    return status if status in (401, 403) or status >= 500 else ALLOWED


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_endpoint__each_role_and_each_invalid_credential__allowed_403_or_401(
        endpoint: Endpoint, world: World, callers: dict[str, ApiClient],
        settings: Settings) -> None:
    # Given the world the paths point at, and no write rate limit in the way
    settings.RRM_WRITE_RATE_PER_MINUTE = 0

    # When every caller calls the endpoint
    actual = {name: _verdict(_call(client, endpoint, world).status_code)
              for name, client in callers.items()}

    # Then the roles that may get past authorisation (whatever the state machine then says),
    # the roles that may not and tokens whose user lost the role get 403 (one whose user still
    # holds a role reads), and everyone without a valid token 401
    expected = {**{role: ALLOWED if role in endpoint.allowed else 403 for role in ROLES},
                ROLES_GONE[0]: ALLOWED if endpoint.public else 403,
                ROLES_GONE[1]: ALLOWED if endpoint.allowed == EVERYONE else 403,
                **dict.fromkeys(BAD_AUTH, ALLOWED if endpoint.public else 401)}
    assert actual == expected


def test_matrix__endpoints__exactly_the_contract_paths_and_healthz() -> None:
    assert {e.contract for e in ENDPOINTS} == CONTRACT | {("GET", "/healthz")}
    assert len(ENDPOINTS) == len(CONTRACT) + 1


# --- /healthz ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/healthz"])
def test_healthz__without_a_token__200_ok(db: None, path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 200 and response.json() == {"status": "ok"}
