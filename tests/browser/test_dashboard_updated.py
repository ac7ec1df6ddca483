"""The dashboard's "Updated" note, in a browser in another time zone and a 12-hour locale: it
says the time in 24-hour UTC like every other time the UI shows (issue 12: it said
"Updated 4:40:11 PM", the browser's clock in the browser's zone)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from rollout.services.roles import Role, role_grant
from tests.rollout_factories import make_live, original_version

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


def test_dashboard__live_state_changes__updated_note_in_24_hour_utc(
        browser: Any, live_server: Any) -> None:
    # Given a viewer in Los Angeles with a US-English (12-hour) browser on the dashboard, with
    # the example live in NE only
    version = original_version()
    make_live(version, ["NE"])
    viewer = User.objects.create_user("vera", password=PASSWORD)
    role_grant(user=viewer, role=Role.VIEWER)
    context = browser.new_context(base_url=live_server.url, locale="en-US",
                                  timezone_id="America/Los_Angeles")
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("User name").fill("vera")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Live network")).to_be_visible()

        # When the live state changes and the page redraws itself
        make_live(version, ["MA", "SE"])

        # Then the note gives the redraw's time as HH:MM:SS UTC, not the browser's local time
        note = page.locator("#live-updated")
        expect(note).to_have_text(re.compile(r"^Updated ([01]\d|2[0-3]):[0-5]\d:[0-5]\d UTC$"),
                                  timeout=20_000)
        assert "AM" not in note.inner_text() and "PM" not in note.inner_text()
    finally:
        context.close()
