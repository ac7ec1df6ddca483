"""API tokens: the tokens a user is shown, and one token by id."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from rollout.models import ApiToken


def token_list(*, user: User | None) -> QuerySet[ApiToken]:
    """Tokens newest first with their user loaded: `user`'s own, or everyone's when None."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    return tokens if user is None else tokens.filter(user=user)


def token_get(*, token_id: int) -> ApiToken | None:
    """The token with that id, or None."""
    return ApiToken.objects.select_related("user").filter(id=token_id).first()


def token_get_by_prefix(*, prefix: str) -> ApiToken | None:
    """The token with that public prefix (the part after `rrm_`), its user loaded, or None."""
    return ApiToken.objects.select_related("user").filter(prefix=prefix).first()
