"""Content-Security-Policy: every page says it, and no page needs more than it allows (no inline
script, no <style> element, no event-handler attribute, no javascript: URL)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.web.helpers import client_as
from tests.web.test_every_page import PATTERNS, _arguments, _url

pytestmark = pytest.mark.django_db


class _InlineCode(HTMLParser):
    """What a page runs or styles inline, which a policy without 'unsafe-inline' blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and not named.get("src") and named.get("type") != "application/json":
            self._in_script = True
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


def directives(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {name: values for name, *values in
            (part.split() for part in header.split(";") if part.strip())}


def test_login_page__anonymous__policy_of_own_scripts_and_styles_only() -> None:
    response = Client().get("/accounts/login/")

    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert inline_code(response.content.decode()) == []


def test_every_page__superuser__policy_sent_and_nothing_inline_it_would_block() -> None:
    # Given every page of the UI, seen by a user who may see everything
    data = _arguments()
    admin = client_as(User.objects.create_superuser("root"))
    seen = 0
    for pattern in PATTERNS:
        response = admin.get(_url(pattern, data["kwargs"]))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        # Then each sends the policy, and holds nothing inline the policy would block
        assert "script-src 'self'" in response["Content-Security-Policy"], pattern.name
        assert inline_code(response.content.decode()) == [], pattern.name
    assert seen >= 10


def test_token_page__new_token_shown__copy_script_is_a_static_file() -> None:
    # Given a user who just created a token (the page shows it once, with a Copy button)
    data = _arguments()
    operator = client_as(data["who"].operator)

    response = operator.post("/tokens/", {"name": "ci", "role": "viewer"}, follow=True)

    # Then the button's script comes from a static file, not from the page
    html = response.content.decode()
    assert 'id="token-copy"' in html
    assert "rollout/js/tokens" in html
    assert inline_code(html) == []


def test_api_docs__anonymous__own_scripts_only() -> None:
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert inline_code(response.content.decode()) == []
