"""Token reads: a user's own tokens or everyone's, newest first, and one token by id."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.selectors.tokens import token_get, token_get_by_prefix, token_list
from rollout.services.roles import Role
from rollout.services.tokens import token_create
from tests.rollout_factories import People

pytestmark = pytest.mark.django_db


def test_token_list__two_users__own_list_everyone_list_and_get(who: People) -> None:
    # Given a token each for the editor and the viewer
    mine, _ = token_create(user=who.editor, role=Role.VIEWER, name="mine", expires_in_days=None,
                           actor=who.editor)
    theirs, _ = token_create(user=who.viewer, role=Role.VIEWER, name="theirs",
                             expires_in_days=None, actor=who.viewer)
    # When the page's reads run
    # Then a user sees their own, None means everyone's (newest first), and get finds by id
    assert [t.name for t in token_list(user=who.editor)] == ["mine"]
    assert [t.name for t in token_list(user=None)] == ["theirs", "mine"]
    assert token_get(token_id=mine.id) == mine and token_get(token_id=theirs.id + 99) is None


def test_token_list__many_tokens__one_query_with_their_users(
        who: People, django_assert_num_queries: Any) -> None:
    # Given three tokens of two users
    for user in (who.editor, who.viewer, who.editor):
        token_create(user=user, role=Role.VIEWER, name="t", expires_in_days=None, actor=user)
    # When everyone's tokens and their users' names are read
    # Then one query reads them all (the page shows each token's user)
    with django_assert_num_queries(1):
        assert [t.user.username for t in token_list(user=None)] == ["edna", "vera", "edna"]


def test_token_get_by_prefix__known_and_unknown_prefix__the_token_or_none(who: People) -> None:
    token, _ = token_create(user=who.viewer, role=Role.VIEWER, name="ci", expires_in_days=None,
                            actor=who.viewer)
    assert token_get_by_prefix(prefix=token.prefix) == token
    assert token_get_by_prefix(prefix="nope") is None
