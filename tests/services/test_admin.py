"""Versions are visible to staff in the Django admin, with their findings, and read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from rollout.models import Version
from tests.factories import user_factory, version_factory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    admin = user_factory("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_version_page__invalid_version__shows_findings(staff_client: Client) -> None:
    version = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    page = staff_client.get(f"/admin/rollout/version/{version.id}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "E110" in html and "DS-NOPE" in html
    assert "network.yaml:" in html


def test_admin_version_list__lists_versions(staff_client: Client) -> None:
    version = version_factory("listed")

    page = staff_client.get("/admin/rollout/version/")

    assert page.status_code == 200
    assert version.id in page.content.decode()


def test_admin_version__is_read_only(staff_client: Client) -> None:
    version = version_factory("immutable")

    response = staff_client.post(f"/admin/rollout/version/{version.id}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Version.objects.filter(id=version.id).exists()


def test_admin__anonymous__redirected_to_login(client: Client) -> None:
    response = client.get("/admin/rollout/version/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
