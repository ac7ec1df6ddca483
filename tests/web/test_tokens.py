"""The API tokens page: create (shown once), list, revoke; roles limited to the user's own."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest
from django.test import Client

from rollout.models import ApiToken, AuditEvent
from rollout.services.roles import Role, user_roles
from rollout.services.tokens import token_create, tokens_forget
from tests.factories import user_factory
from tests.rollout_factories import People
from tests.web.helpers import (
    assert_forbidden,
    assert_login_redirect,
    assert_page_ok,
    client_as,
    role_clients,
)

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'id="token-text" type="text" readonly value="(rrm_[0-9a-f]+_[\w-]+)"')


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    """Token verdicts are cached per process by prefix; ids and prefixes die with each test."""
    tokens_forget()
    yield
    tokens_forget()


def create(client: Client, role: str = "viewer", name: str = "ci job",
           days: str = "") -> tuple[int, str]:
    """POST the create form; (status, token text or "")."""
    response = client.post("/tokens/", {"name": name, "role": role, "expires_in_days": days})
    found = TOKEN.search(response.content.decode())
    return response.status_code, found.group(1) if found else ""


def api_versions(token: str) -> int:
    client = Client(enforce_csrf_checks=True)
    return client.get("/api/v1/versions", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "operator"])
def test_tokens_page__any_role__renders_the_form(who: People, role: str) -> None:
    html = assert_page_ok(role_clients(who)[role].get("/tokens/"))
    assert 'name="csrfmiddlewaretoken"' in html and "Create token" in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_tokens_page__user_without_a_role__is_forbidden(who: People, method: str) -> None:
    response = getattr(role_clients(who)["nobody"], method)("/tokens/", {"name": "x",
                                                                        "role": "viewer"})
    assert_forbidden(response)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("url", ["/tokens/", "/tokens/1/revoke/"])
def test_tokens_pages__anonymous__are_sent_to_login(who: People, url: str) -> None:
    anonymous = role_clients(who)["anonymous"]
    assert_login_redirect(anonymous.get(url))
    assert_login_redirect(anonymous.post(url, {}))


def test_token_create__viewer__shows_the_token_once_and_stores_only_its_hash(
        who: People) -> None:
    # Given a viewer on the tokens page
    client = client_as(who.viewer)
    # When they create a token
    response = client.post("/tokens/", {"name": "ci job", "role": "viewer",
                                        "expires_in_days": "30"})
    # Then the response page shows it, with a warning, and is not to be stored anywhere
    html = assert_page_ok(response)
    found = TOKEN.search(html)
    assert found, html
    text = found.group(1)
    assert "will not be shown again" in html and 'id="token-copy"' in html
    assert "no-store" in response["Cache-Control"]
    assert text not in response.get("Location", "")
    # And only its hash is stored
    token = ApiToken.objects.get()
    assert token.hashed == hashlib.sha256(text.encode()).hexdigest()
    # (split at most twice: the secret itself may contain "_")
    assert text.split("_", 2)[2] not in repr(list(ApiToken.objects.values()))
    assert (token.user, token.role, token.name) == (who.viewer, "viewer", "ci job")
    assert token.expires_at is not None
    # And nothing keeps it for a later request: the next page does not show it
    again = assert_page_ok(client.get("/tokens/"))
    assert text not in again and f"rrm_{token.prefix}_…" in again
    # And the creation is audited
    assert AuditEvent.objects.filter(action="token.created", object_id=token.prefix,
                                     actor=who.viewer).exists()


def test_token_create__new_token__authenticates_against_the_api(who: People) -> None:
    # Given a token created in the UI
    status, text = create(client_as(who.viewer))
    assert status == 200 and text
    # When it is sent as a Bearer token, Then the API answers; a wrong one is refused
    assert api_versions(text) == 200
    assert api_versions(text[:-2] + "xx") == 401


def test_token_create__role_the_user_lacks__is_refused(who: People) -> None:
    # Given a viewer
    client = client_as(who.viewer)
    # Then the form offers only the viewer role
    html = assert_page_ok(client.get("/tokens/"))
    assert '<option value="viewer"' in html and '<option value="operator"' not in html
    # When they try to create an operator token anyway
    status, text = create(client, role="operator")
    # Then nothing is created and they do not become an operator
    assert status == 400 and text == ""
    assert not ApiToken.objects.exists()
    assert user_roles(user=who.viewer) == {Role.VIEWER}


def test_token_create__operator__may_create_an_operator_or_viewer_token(who: People) -> None:
    client = client_as(who.operator)
    html = assert_page_ok(client.get("/tokens/"))
    assert '<option value="operator"' in html and '<option value="viewer"' in html
    assert '<option value="approver"' not in html
    status, _ = create(client, role="operator")
    assert status == 200 and ApiToken.objects.get().role == "operator"


@pytest.mark.parametrize("days", ["0", "-3", "abc", "99999"])
def test_token_create__bad_expiry__says_so(who: People, days: str) -> None:
    client = client_as(who.viewer)
    response = client.post("/tokens/", {"name": "x", "role": "viewer", "expires_in_days": days})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_create__without_csrf_token__is_refused(who: People) -> None:
    # Given a logged-in browser that enforces CSRF
    client = Client(enforce_csrf_checks=True)
    client.force_login(who.viewer)
    # When the form is posted without the CSRF token
    response = client.post("/tokens/", {"name": "x", "role": "viewer"})
    # Then it is refused and nothing is created
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_token_list__shows_only_the_users_own_tokens(who: People) -> None:
    token_create(user=who.editor, role=Role.EDITOR, name="edna's job")
    token_create(user=who.viewer, role=Role.VIEWER, name="vera's job")
    html = assert_page_ok(client_as(who.viewer).get("/tokens/?all=1"))
    assert "vera&#x27;s job" in html and "edna" not in html.split("Your tokens")[1]


def test_token_list__superuser__may_see_everyones(who: People) -> None:
    token_create(user=who.editor, role=Role.EDITOR, name="edna's job")
    boss = user_factory("boss", is_staff=True, is_superuser=True)
    token_create(user=boss, role=Role.VIEWER, name="boss job")
    html = assert_page_ok(client_as(boss).get("/tokens/?all=1"))
    assert "Everyone's tokens" in html and "edna&#x27;s job" in html


def test_token_revoke__own_token__stops_it_working(who: People) -> None:
    # Given a viewer's working token
    client = client_as(who.viewer)
    _, text = create(client)
    token = ApiToken.objects.get()
    assert api_versions(text) == 200
    html = assert_page_ok(client.get("/tokens/"))
    # Then its revoke button asks for confirmation
    assert f'action="/tokens/{token.id}/revoke/"' in html and "data-confirm=" in html
    # When they revoke it
    response = client.post(f"/tokens/{token.id}/revoke/")
    # Then it is revoked, audited, and refused by the API
    assert response.status_code == 302 and response["Location"] == "/tokens/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoked", actor=who.viewer).exists()
    assert api_versions(text) == 401
    page = assert_page_ok(client.get("/tokens/"))
    assert "revoked" in page and f'action="/tokens/{token.id}/revoke/"' not in page


def test_token_revoke__someone_elses_token__is_not_found(who: People) -> None:
    # Given the editor's token
    token, text = token_create(user=who.editor, role=Role.EDITOR, name="edna's job")
    # When the viewer tries to revoke it
    response = client_as(who.viewer).post(f"/tokens/{token.id}/revoke/")
    # Then it is answered like a missing token and still works
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and api_versions(text) == 200


def test_token_revoke__superuser__may_revoke_anyones(who: People) -> None:
    token, _ = token_create(user=who.editor, role=Role.EDITOR)
    boss = user_factory("boss", is_staff=True, is_superuser=True)
    response = client_as(boss).post(f"/tokens/{token.id}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_revoke__staff_with_only_a_viewer_role__cannot_revoke_others(who: People) -> None:
    # Given a staff member (admin access) holding only the viewer role
    token, _ = token_create(user=who.operator, role=Role.OPERATOR)
    clerk = user_factory("clerk", is_staff=True)
    token_create(user=clerk, role=Role.VIEWER)
    # When they try to revoke the operator's token, Then it is as if it did not exist
    assert client_as(clerk).post(f"/tokens/{token.id}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_revoke__get__is_not_allowed(who: People) -> None:
    token, _ = token_create(user=who.viewer, role=Role.VIEWER)
    assert client_as(who.viewer).get(f"/tokens/{token.id}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_revoke__without_csrf_token__is_refused(who: People) -> None:
    token, _ = token_create(user=who.viewer, role=Role.VIEWER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(who.viewer)
    assert client.post(f"/tokens/{token.id}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_page__list_card__heading_is_the_cards_first_row(who: People) -> None:
    # The "Your tokens" heading shares its row with a link: the card's first child is that row
    html = assert_page_ok(client_as(who.viewer).get("/tokens/"))
    assert re.search(r'<section class="card" aria-labelledby="token-list">\s*<div class="spread">'
                     r'\s*<h2 id="token-list">', html)
