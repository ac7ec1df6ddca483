"""A plan check with hundreds of findings of one code is summarised, as `validate` does: a few
of each code, one finding counting the rest, and the totals. In the CLI's `rollout create`
(stderr) and in the API's 422 body (DESIGN section 7: `{"detail", "findings"}`, plus `errors`
and `warnings` for the whole list)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from rollout.demo import demo_bundles
from rollout.domain.findings import SHOWN_PER_CODE
from rollout.models import Rollout, Version
from rollout.services.roles import Role, role_grant
from rollout.services.tokens import token_create
from rollout.services.versions import version_create
from tests.factories import user_factory, version_factory
from tests.rollout_factories import make_live

pytestmark = pytest.mark.django_db

DEMO_REGIONS = ("NE", "MA", "SE", "GL", "CE", "SC", "MT", "PC")


def demo_national_live() -> None:
    """What `make run` leaves: the demo's national version live in its eight regions."""
    national = demo_bundles()[0]
    version = version_create(files=national.files, message=national.message).version
    make_live(version, regions=DEMO_REGIONS)


def east_coast_version() -> Version:
    """A bundle of another network: planned over the demo, it uncovers hundreds of zones."""
    return version_factory("east coast")


def test_rollout_create__hundreds_of_gaps__a_few_per_code_then_a_count_and_a_summary() -> None:
    # Given the demo live and a version of another network
    demo_national_live()
    version = east_coast_version()
    planner = user_factory("planner")
    role_grant(user=planner, role=Role.EDITOR)
    err = StringIO()

    # When
    with pytest.raises(CommandError) as raised:
        call_command("rollout", "create", version.id, "--phase", "NE,MA", "--phase", "SE",
                     "--as", "planner", stdout=StringIO(), stderr=err)

    # Then a few E120 lines, one counting the rest, and the summary of them all
    assert raised.value.returncode == 1
    lines = err.getvalue().splitlines()
    e120 = [line for line in lines if " E120 " in line]
    assert len(e120) == SHOWN_PER_CODE + 1
    assert " E120 ... and " in e120[-1] and " more E120 findings like this one: " in e120[-1]
    rest = int(e120[-1].split(" and ", 1)[1].split(" ", 1)[0].replace(",", ""))
    assert rest > 100
    assert lines[-1].startswith("invalid: ") and lines[-1].endswith(" errors, 0 warnings")
    assert len(lines) < 30
    assert not Rollout.objects.exists()


def test_post_rollouts__hundreds_of_gaps__422_capped_findings_with_totals() -> None:
    # Given the demo live, a version of another network and an editor's token
    demo_national_live()
    version = east_coast_version()
    _, token = token_create(user=user_factory("planner"), role=Role.EDITOR)
    body = {"version": version.id, "phases": [{"regions": ["NE", "MA"], "bake_minutes": 30},
                                              {"regions": ["SE"], "bake_minutes": 30}]}

    # When
    response = Client().post("/api/v1/rollouts", body, content_type="application/json",
                             headers={"Authorization": f"Bearer {token}"})

    # Then the findings list keeps its shape, capped per code, with the whole list's totals
    assert response.status_code == 422
    out = response.json()
    assert out["detail"] == "the plan check failed"
    e120 = [f for f in out["findings"] if f["code"] == "E120"]
    assert len(e120) == SHOWN_PER_CODE + 1
    assert e120[-1]["message"].startswith("... and ")
    assert set(e120[-1]) == {"code", "severity", "message", "file", "line", "column", "hint"}
    assert out["errors"] > 100 + SHOWN_PER_CODE and out["warnings"] == 0
    assert len(out["findings"]) < 30
    assert not Rollout.objects.exists()
