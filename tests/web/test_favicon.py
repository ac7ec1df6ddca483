"""The icon: served by the app itself, linked by every page, and at /favicon.ico."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import user_factory
from tests.web.helpers import assert_page_ok, client_as


@pytest.mark.django_db
def test_favicon__browser_asks_for_favicon_ico__gets_the_static_icon() -> None:
    # Given a browser with no session, asking where browsers ask
    client = Client()

    # When it fetches /favicon.ico (following the redirect)
    response = client.get("/favicon.ico", follow=True)

    # Then it gets an icon from the app's static files, not a 404
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == "/static/rollout/favicon.ico"
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]  # a file answer
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header


@pytest.mark.django_db
def test_page_templates__any_page__link_the_icon_from_static() -> None:
    # Given the login page and a logged-in page
    login = assert_page_ok(Client().get("/accounts/login/"))
    page = assert_page_ok(client_as(user_factory("anyone", is_superuser=True)).get("/audit/"))

    # Then both link the app's own icon
    for html in (login, page):
        assert '<link rel="icon" href="/static/rollout/favicon.ico">' in html
