"""`manage.py active --at T` and `manage.py route ZONE --at T`."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.rollout_factories import TICK, People, history_story

pytestmark = pytest.mark.django_db


def test_commands__active_and_route_at__the_past(who: People) -> None:
    h = history_story(who)
    before = (h["rows"]["phase1"][-1].created_at - TICK).isoformat()

    out = StringIO()
    call_command("active", "--at", before, "--format", "json", stdout=out)
    route = StringIO()
    call_command("route", "070", "--at", before, "--format", "json", stdout=route)

    assert json.loads(out.getvalue())["regions"]["NE"]["version"] == h["original"]
    assert json.loads(route.getvalue())["version"] == h["original"]


def test_commands__at_before_anything_or_future__nothing_or_unusable(who: People) -> None:
    h = history_story(who)
    early = (h["first"] - timedelta(hours=1)).isoformat()
    out = StringIO()
    call_command("active", "--at", early, stdout=out)
    assert "nothing was live at" in out.getvalue()
    with pytest.raises(CommandError) as refused:
        call_command("route", "070", "--at", early)
    assert refused.value.returncode == 1
    future = (timezone.now() + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError) as unusable:
        call_command("active", "--at", future)
    assert unusable.value.returncode == 2
