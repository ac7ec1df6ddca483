"""Creating tokens: no one mints a token that does more than they may."""

from __future__ import annotations

import pytest

from rollout.models import ApiToken
from rollout.services.roles import Role, user_roles
from rollout.services.tokens import TokenRefused, token_create
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
    assert user_roles(who.viewer) == {Role.VIEWER}


def test_token_create__actor_holds_the_role__makes_the_token(who: People) -> None:
    token, text = token_create(user=who.operator, role=Role.OPERATOR, actor=who.operator)
    assert token.role == "operator"
    assert text.startswith("rrm_")


def test_token_create__no_actor__grants_the_role_as_the_command_promises() -> None:
    # Given a user with no role (manage.py create_token passes no actor)
    user = user_factory("ci-bot")
    token_create(user=user, role=Role.EDITOR)
    assert user_roles(user) == {Role.EDITOR}
