"""The Content-Security-Policy in a real browser: every page of the UI, the token page's Copy
button and the API docs run without Chromium refusing anything."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import expect

from tests.web.test_every_page import PATTERNS, _arguments, _url

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


def refusals(page: Any) -> list[str]:
    """Every console message in which Chromium reports a policy violation, from now on."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text)
            if "Content Security Policy" in message.text else None)
    return seen


def test_every_page__superuser_in_chromium__nothing_refused_by_the_policy(
        page_for: Any) -> None:
    # Given every page of the UI with real data, and a user who may see all of them
    data = _arguments()
    root = User.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(root)
    page = page_for("root", PASSWORD)
    refused = refusals(page)

    # When each page that answers a GET loads and runs its scripts
    shown = 0
    for pattern in PATTERNS:
        url = _url(pattern, data["kwargs"])
        if client.get(url).status_code != 200:
            continue  # a form's POST target
        page.goto(url)
        page.wait_for_load_state("networkidle")
        shown += 1

    # Then the browser refused nothing
    assert shown >= 10
    assert refused == []


def test_token_page__copy_button__works_under_the_policy(page_for: Any) -> None:
    User.objects.create_superuser("root", password=PASSWORD)
    page = page_for("root", PASSWORD)
    refused = refusals(page)
    page.goto("/tokens/")
    page.get_by_label("Name").fill("ci")
    page.locator("form.filters button[type=submit]").click()

    page.locator("#token-copy").click()

    expect(page.locator("#token-copied")).not_to_be_empty()  # the script ran (it says so)
    assert refused == []


def test_api_docs__in_chromium__swagger_ui_runs_under_the_policy(anonymous_page: Any) -> None:
    refused = refusals(anonymous_page)

    anonymous_page.goto("/api/v1/docs")
    anonymous_page.wait_for_load_state("networkidle")

    # Swagger UI's script ran (it builds the page) and nothing was refused
    assert anonymous_page.locator("#swagger-ui .swagger-ui").count() == 1
    assert refused == []
