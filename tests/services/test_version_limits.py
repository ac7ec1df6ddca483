"""version_create refuses a network over RRM_MAX_ZONES / RRM_MAX_FACILITIES and stores
nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings

from rollout.models import AuditEvent, Version
from rollout.services.versions import VersionRejected, version_create
from tests.factories import east_coast_files

pytestmark = pytest.mark.django_db


@override_settings(RRM_MAX_ZONES=10)
def test_version_create__more_zones_than_allowed__refused_nothing_stored() -> None:
    # Given the example (11 zones) and a server allowing 10
    # When it is stored
    with pytest.raises(VersionRejected) as refused:
        version_create(files=east_coast_files(), message="too many zones")

    # Then the refusal says what and the limit, with the finding; nothing is stored
    assert "11 zones; a version may have at most 10" in str(refused.value)
    assert "RRM_MAX_ZONES" in str(refused.value)
    assert [f.code for f in refused.value.findings] == ["E103"]
    assert not Version.objects.exists()
    assert not AuditEvent.objects.filter(action="version.created").exists()


@override_settings(RRM_MAX_FACILITIES=15, RRM_MAX_ZONES=11)
def test_version_create__at_the_limits__stored() -> None:
    result = version_create(files=east_coast_files(), message="just fits")

    assert result.created and result.version.valid
