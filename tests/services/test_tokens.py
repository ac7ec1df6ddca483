"""Creating tokens: no one mints a token that does more than they may; what a token may do."""

from __future__ import annotations

import pytest

from rollout.models import ApiToken
from rollout.services.roles import Role, role_allowed, role_grant, user_roles
from rollout.services.tokens import (
    MAX_ACTIVE_TOKENS,
    MAX_EXPIRY_DAYS,
    TokenForbidden,
    TokenRefused,
    token_authenticate,
    token_create,
    token_create_for_username,
    token_revoke,
)
from rollout.web.views.tokens import token_roles
from tests.factories import user_factory
from tests.rollout_factories import People

pytestmark = pytest.mark.django_db


def test_token_create__actor_lacks_the_role__is_refused_and_grants_nothing(who: People) -> None:
    # Given a viewer asking for an operator token for themselves
    # When the service is called with them as the actor
    with pytest.raises(TokenRefused, match="does not hold the operator role"):
        token_create(user=who.viewer, role=Role.OPERATOR, actor=who.viewer)
    # Then no token exists and the viewer did not become an operator
    assert not ApiToken.objects.filter(user=who.viewer).exists()
    assert user_roles(user=who.viewer) == {Role.VIEWER}


def test_token_create__actor_holds_the_role__makes_the_token(who: People) -> None:
    token, text = token_create(user=who.operator, role=Role.OPERATOR, actor=who.operator)
    assert token.role == "operator"
    assert text.startswith("rrm_")


def test_token_create__no_actor__grants_the_role_as_the_command_promises() -> None:
    # Given a user with no role (manage.py create_token passes no actor)
    user = user_factory("ci-bot")
    token_create(user=user, role=Role.EDITOR)
    assert user_roles(user=user) == {Role.EDITOR}


# --- the observer role, and what a token may do ----------------------------------------------


def test_token_create__observer_for_monitoring__token_speaks_as_an_observer(db: None) -> None:
    # Given monitoring's service account, created by `manage.py create_token --role observer`
    token, text = token_create_for_username(username="monitoring", role=Role.OBSERVER)

    # When the token is checked
    identity = token_authenticate(text=text)

    # Then it is an observer token of a user who holds the observer role
    assert identity is not None and identity.role == Role.OBSERVER
    assert identity.held == {Role.OBSERVER} and token.role == "observer"


def test_token_create__editor_asks_for_an_observer_token__refused(who: People) -> None:
    with pytest.raises(TokenRefused, match="does not hold the observer role"):
        token_create(user=who.editor, role=Role.OBSERVER, actor=who.editor)

    assert not ApiToken.objects.filter(user=who.editor).exists()


def test_token_roles__observer_or_superuser__observer_offered_on_the_token_page(
        db: None) -> None:
    monitoring, root = user_factory("monitoring"), user_factory("root", is_superuser=True)
    role_grant(user=monitoring, role=Role.OBSERVER)

    assert token_roles(monitoring) == [Role.VIEWER, Role.OBSERVER]
    assert Role.OBSERVER in token_roles(root)


@pytest.mark.parametrize(("token_role", "held", "role", "allowed"), [
    (Role.OPERATOR, {Role.OPERATOR}, Role.OPERATOR, True),
    (Role.OPERATOR, {Role.OPERATOR}, Role.VIEWER, True),
    (Role.OPERATOR, set(), Role.VIEWER, False),
    (Role.OPERATOR, set(), Role.OPERATOR, False),
    (Role.OPERATOR, {Role.VIEWER}, Role.OPERATOR, False),
    (Role.OPERATOR, {Role.VIEWER}, Role.VIEWER, True),
    (Role.VIEWER, {Role.EDITOR, Role.OPERATOR}, Role.EDITOR, False),
    (Role.VIEWER, {Role.EDITOR}, Role.VIEWER, True),
    (Role.OBSERVER, {Role.OBSERVER}, Role.OPERATOR, False),
], ids=["own role", "reads", "user lost every role: no read", "user lost every role",
        "user lost the token's role", "user kept reading", "token limits the user",
        "reading comes with any role", "observer is not an operator"])
def test_caller_may__token_role_and_user_roles__both_must_allow(
        token_role: Role, held: set[Role], role: Role, allowed: bool) -> None:
    assert role_allowed(held=held, role=role, token_role=token_role) is allowed


@pytest.mark.parametrize("days", [0, -1, MAX_EXPIRY_DAYS + 1, 10**9])
def test_token_create__expiry_out_of_bounds__refused_nothing_stored(who: People,
                                                                    days: int) -> None:
    # (10**9 days used to overflow the date arithmetic in `manage.py create_token`)
    with pytest.raises(TokenRefused, match=f"1 to {MAX_EXPIRY_DAYS:,} days"):
        token_create(user=who.viewer, role=Role.VIEWER, expires_in_days=days)
    assert not ApiToken.objects.filter(user=who.viewer).exists()


def test_token_create__for_another_user__forbidden(who: People) -> None:
    with pytest.raises(TokenForbidden, match="for themselves only"):
        token_create(user=who.operator, role=Role.VIEWER, actor=who.viewer)
    assert not ApiToken.objects.exists()


def test_token_create__more_active_tokens_than_the_bound__refused_until_one_is_revoked(
        who: People) -> None:
    # Given a user with the most active tokens allowed (plus a revoked one, which does not count)
    tokens = [token_create(user=who.viewer, role=Role.VIEWER, actor=who.viewer)[0]
              for _ in range(MAX_ACTIVE_TOKENS)]
    token_revoke(token_id=tokens[0].id, actor=who.viewer)
    token_create(user=who.viewer, role=Role.VIEWER, actor=who.viewer)

    # When they ask for one more, it is refused saying why
    with pytest.raises(TokenRefused, match=f"at most {MAX_ACTIVE_TOKENS}"):
        token_create(user=who.viewer, role=Role.VIEWER, actor=who.viewer)

    # And after revoking one there is room again
    token_revoke(token_id=tokens[1].id, actor=who.viewer)
    token_create(user=who.viewer, role=Role.VIEWER, actor=who.viewer)
    assert ApiToken.objects.filter(user=who.viewer, revoked_at__isnull=True).count() == \
        MAX_ACTIVE_TOKENS
