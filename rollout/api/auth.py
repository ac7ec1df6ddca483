"""Who is calling: a Bearer token (stored hashed, with a role) or a logged-in browser session
(with CSRF on unsafe methods). Every endpoint needs one of them except /healthz."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from rollout.services.roles import Role, RoleRequired, role_allowed, user_roles
from rollout.services.tokens import token_authenticate


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: a user, and for a token the one role it is limited to and the
    roles its user held when it was checked (a browser session has all the user's roles)."""

    user: User
    token_role: Role | None = None
    token_id: int | None = None
    token_held: frozenset[Role] | None = None

    def require(self, role: Role) -> User:
        """The user, if this caller may act with `role`; RoleRequired (403) otherwise."""
        return self.require_any(role)

    def require_any(self, *roles: Role) -> User:
        """The user, if this caller may act with one of `roles` (`roles.role_allowed`: through a
        token, what its role and its user's roles both allow); RoleRequired otherwise."""
        held = self.token_held if self.token_held is not None else user_roles(user=self.user)
        if not any(role_allowed(held=held, role=role, token_role=self.token_role)
                   for role in roles):
            raise RoleRequired(roles[0], self.user, *roles[1:])
        return self.user


def caller_of_token(token: str) -> Caller | None:
    """The caller behind a Bearer token's text, or None when it does not authenticate."""
    identity = token_authenticate(text=token.strip())
    if identity is None:
        return None
    return Caller(user=identity.user, token_role=identity.role, token_id=identity.token_id,
                  token_held=identity.held)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        return caller_of_token(token)


class BrowserSession(SessionAuth):
    def __call__(self, request: HttpRequest) -> Caller | None:
        # Without a logged-in session this scheme does not apply: answer "no credentials"
        # (401), not the CSRF 403 that the base class would give a caller with no session.
        user = getattr(request, "user", None)
        if not (isinstance(user, User) and user.is_authenticated and user.is_active):
            return None
        return super().__call__(request)  # checks CSRF too

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = request.user
        if isinstance(user, User) and user.is_authenticated and user.is_active:
            return Caller(user=user)
        return None


def caller(request: HttpRequest) -> Caller:
    auth = getattr(request, "auth", None)
    assert isinstance(auth, Caller), "every endpoint is behind authentication"
    return auth
