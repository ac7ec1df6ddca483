"""The Django admin's names for the app's models."""

from __future__ import annotations

import pytest

from tests.factories import user_factory
from tests.web.helpers import client_as

pytestmark = pytest.mark.django_db


def test_admin_index__webhook_deliveries__spelled_right() -> None:
    # Given a superuser
    admin = user_factory("root", is_superuser=True, is_staff=True)

    # When the admin's index is shown
    html = client_as(admin).get("/admin/").content.decode()

    # Then the deliveries are "Webhook deliveries", never "Webhook deliverys"
    assert "Webhook deliveries" in html
    assert "deliverys" not in html.lower()
