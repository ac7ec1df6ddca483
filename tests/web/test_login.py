"""Logging in and out of the operator UI."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import user_factory
from tests.web.helpers import assert_page_ok

pytestmark = pytest.mark.django_db


def test_login_page__anonymous__renders_the_form_with_csrf() -> None:
    html = assert_page_ok(Client().get("/accounts/login/"))
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_username">' in html


def test_login__wrong_password__says_so_and_stays_logged_out() -> None:
    user_factory("pat").set_password("right")
    response = Client().post("/accounts/login/", {"username": "pat", "password": "wrong"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_logout__post__ends_the_session() -> None:
    user = user_factory("pat")
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
