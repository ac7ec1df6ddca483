"""What every page test checks: no external URL in the HTML, the role gate, the login gate."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.rollout_factories import People

#: an absolute URL or protocol-relative reference in an attribute or CSS: the UI must work with
#: no internet, so every page may load only what the app serves itself.
_EXTERNAL = re.compile(
    r"""(?:src|href|action|poster|data|formaction|xlink:href)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//""" r"""|@import\s+["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def external_references(html: str) -> list[str]:
    """Every place in `html` that would make the browser fetch something from another host.

    The SVG namespace declaration (xmlns="http://www.w3.org/2000/svg") is a name, not a fetch,
    and is not matched.
    """
    return [html[max(m.start() - 40, 0):m.end() + 40] for m in _EXTERNAL.finditer(html)]


def assert_page_ok(response: Any) -> str:
    """A 200 HTML page with no external reference; returns its text."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert external_references(html) == [], external_references(html)
    return html


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith("/accounts/login/?next="), response["Location"]


def assert_forbidden(response: Any) -> None:
    assert response.status_code == 403, response.status_code
    assert "needs the" in response.content.decode()


def client_as(user: object | None) -> Client:
    """A test client logged in as `user` (anonymous for None)."""
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]  # a User from the factories
    return client


def role_clients(who: People) -> dict[str, Client]:
    """Logged-in clients for each role, plus 'nobody' (a user with no role) and 'anonymous'."""
    from tests.factories import user_factory

    return {
        "viewer": client_as(who.viewer),
        "editor": client_as(who.editor),
        "approver": client_as(who.approver),
        "operator": client_as(who.operator),
        "nobody": client_as(user_factory("norole")),
        "anonymous": client_as(None),
    }
