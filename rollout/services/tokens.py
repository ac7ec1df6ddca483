"""API tokens: created (shown once), checked (without a query per request), revoked.

The check keeps each token's verdict, with its user's roles at that moment, for a few seconds
in the process (RRM_TOKEN_CACHE_SECONDS, default 5), so `GET /route` costs no database query
for authentication while a revocation, an expiry, a user made inactive or a role taken from the
user still takes effect within those seconds. What a token may do is its role *and* its user's
roles (`roles.role_allowed`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.utils import timezone

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.models import ApiToken
from rollout.services.audit import audit_record
from rollout.services.roles import Role, role_grant, role_held, user_roles

TOKEN_PREFIX = "rrm"


class TokenRefused(RolloutError, ValueError):
    """A token request that cannot be honoured (unknown role, bad expiry)."""

    kind = ErrorKind.UNUSABLE


#: the longest a token may live when it expires at all (days)
MAX_EXPIRY_DAYS = 3650
#: the most active (not revoked, not expired) tokens one user may hold: each has its own write
#: rate limit, so the bound also bounds what one user may write per minute
MAX_ACTIVE_TOKENS = 20


class TokenForbidden(RolloutError):
    """Revoking another user's token without being a superuser."""

    kind = ErrorKind.FORBIDDEN


@dataclass(frozen=True)
class TokenIdentity:
    """Who a valid token speaks for: its user, its role, and the roles the user held when the
    token was checked (`held`)."""

    token_id: int
    user: User
    role: Role
    held: frozenset[Role]


def token_create(*, user: User, role: Role, name: str = "", expires_in_days: int | None = None,
                 actor: AbstractBaseUser | None = None) -> tuple[ApiToken, str]:
    """A new token for `user` with `role`. Returns the row and the token text, which is never
    stored and cannot be shown again.

    With an `actor` (the UI, the API) the token is the actor's own (`TokenForbidden` otherwise)
    and the actor must hold `role` itself, so no one can mint a token that does more than they
    may. Bounds: expiry at most MAX_EXPIRY_DAYS, at most MAX_ACTIVE_TOKENS active tokens per
    user (`TokenRefused`). Without one (`manage.py create_token`, run by whoever
    administers the machine) the user is given the role too, as DESIGN section 9 promises.
    """
    if expires_in_days is not None and not 0 < expires_in_days <= MAX_EXPIRY_DAYS:
        raise TokenRefused(f"a token must expire in 1 to {MAX_EXPIRY_DAYS:,} days (or never), "
                           f"got {expires_in_days}")
    if actor is not None and actor.pk != user.pk:
        raise TokenForbidden(f"{getattr(actor, 'username', 'this user')} may create tokens "
                             f"for themselves only, not for {user.username}")
    if actor is not None and not role_held(user=actor, role=role):
        who = getattr(actor, "username", "this user")
        raise TokenRefused(f"{who} does not hold the {role.value} role, so cannot create a "
                           f"token with it")
    prefix = secrets.token_hex(6)
    text = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        # Counted under a lock on the user's row, so two requests at once cannot both pass.
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(
            expires_at__lte=timezone.now()).count()
        if active >= MAX_ACTIVE_TOKENS:
            raise TokenRefused(f"{user.username} already has {active} active tokens (at most "
                               f"{MAX_ACTIVE_TOKENS}); revoke one first")
        if actor is None:
            role_grant(user=user, role=role)
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=prefix, hashed=_digest(text), role=role.value,
            expires_at=(timezone.now() + timedelta(days=expires_in_days)
                        if expires_in_days else None))
        audit_record(actor=actor or user, action="token.created", object_type="token",
                     object_id=prefix, details={"user": user.username, "role": role.value,
                                                "expires_at": str(token.expires_at)})
    return token, text


def token_create_for_username(*, username: str, role: Role, name: str = "",
                              expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """For `manage.py create_token`: the user is created when missing (without a password)."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username)
    assert isinstance(user, User)
    return token_create(user=user, role=role, name=name, expires_in_days=expires_in_days)


def token_revoke(*, token_id: int, actor: AbstractBaseUser | None) -> ApiToken:
    """Revoke a token (at once, in every process within RRM_TOKEN_CACHE_SECONDS).

    An `actor` may revoke their own tokens; anyone else's takes a superuser (TokenForbidden).
    Without one the caller is the process itself (`manage.py revoke_token`)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(id=token_id)
        if actor is not None and token.user_id != actor.pk and not (
                isinstance(actor, User) and actor.is_active and actor.is_superuser):
            who = getattr(actor, "username", None) or "anonymous"
            raise TokenForbidden(f"{who} may not revoke another user's token "
                                 "(only a superuser may)")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="token.revoked", object_type="token",
                         object_id=token.prefix, details={"user": token.user.username})
    _forget(token.prefix)
    return token


@dataclass(frozen=True)
class _Entry:
    until: float  # monotonic time the entry may be trusted until
    identity: TokenIdentity | None
    hashed: str
    expires_at: datetime | None


def token_authenticate(*, text: str) -> TokenIdentity | None:
    """The identity behind a token, or None for anything unknown, revoked or expired."""
    parts = text.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    prefix = parts[1]
    now = time.monotonic()
    with _lock:
        entry = _cache.get(prefix)
    if entry is None or entry.until <= now:
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        entry = _Entry(until=now + _ttl(), identity=_identity(token),
                       hashed=token.hashed if token else "",
                       expires_at=token.expires_at if token else None)
        with _lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[prefix] = entry
    if entry.identity is None or not hmac.compare_digest(entry.hashed, _digest(text)):
        return None
    if entry.expires_at is not None and entry.expires_at <= timezone.now():
        return None
    return entry.identity


def _identity(token: ApiToken | None) -> TokenIdentity | None:
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return None
    try:
        role = Role(token.role)
    except ValueError:
        return None
    return TokenIdentity(token_id=token.id, user=token.user, role=role,
                         held=frozenset(user_roles(user=token.user)))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _ttl() -> float:
    return float(getattr(settings, "RRM_TOKEN_CACHE_SECONDS", 5))


def _forget(prefix: str) -> None:
    with _lock:
        _cache.pop(prefix, None)


def tokens_forget() -> None:
    """Empty this process's token cache (tests; a revocation elsewhere waits for the TTL)."""
    with _lock:
        _cache.clear()


_lock = threading.Lock()
_cache: dict[str, _Entry] = {}
