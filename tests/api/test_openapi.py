"""The OpenAPI document at /api/v1/openapi.json lists every path of DESIGN section 7 with its
methods, and /api/v1/docs is served from the app's own static files (no CDN)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.api.helpers import API, CONTRACT

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}
HEALTHZ = ("GET", "/healthz")  # DESIGN section 7: "GET /healthz needs no token"
#: issue 12: a simulation too big to answer at once is a job to poll (test_simulate_jobs.py)
SIMULATION_JOB = ("GET", "/simulations/{}")
#: issue 15: a version from a commit of a Git repository (tests/services/test_git_import.py)
VERSION_FROM_GIT = ("POST", "/versions/git")
#: issue 14 / DESIGN section 11: region design jobs (tests/api/test_designs.py)
DESIGNS = {("POST", "/designs"), ("GET", "/designs/{}"), ("POST", "/designs/{}/save")}


def openapi() -> Any:
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()


def operations(document: Any) -> set[tuple[str, str]]:
    """(METHOD, path under /api/v1 with every parameter written "{}")."""
    found = set()
    for path, item in document["paths"].items():
        assert path.startswith(f"{API}/"), path
        blank = re.sub(r"\{[^}]+\}", "{}", path.removeprefix(API))
        found |= {(method.upper(), blank) for method in item if method in METHODS}
    return found


def test_openapi__contract_paths__every_one_listed_with_its_methods() -> None:
    # When the document is read (without a token: it is public)
    listed = operations(openapi())

    # Then every path and method of the contract is there (and the health check), nothing else
    assert CONTRACT - listed == set(), "missing from the OpenAPI document"
    assert listed - CONTRACT == {HEALTHZ, SIMULATION_JOB, VERSION_FROM_GIT, *DESIGNS}, \
        "listed but not in DESIGN section 7"


def test_openapi__every_operation_but_healthz__needs_a_bearer_token_or_a_session() -> None:
    document = openapi()

    assert document["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http", "scheme": "bearer"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path == f"{API}/healthz":
                assert "security" not in operation
            else:
                assert {"BearerToken": []} in operation["security"], (method, path)


def test_openapi__documented_bodies__match_the_contract_fields() -> None:
    schemas = openapi()["components"]["schemas"]

    assert set(schemas["VersionIn"]["required"]) == {"files", "message"}
    assert {"version", "phases", "gates", "on_gate_failure"} <= set(
        schemas["RolloutIn"]["properties"])
    assert {"regions", "bake_minutes", "start_after"} <= set(schemas["PhaseIn"]["properties"])
    # the contract's two fields, required; `query` (issue 16) is optional
    assert set(schemas["GateIn"]["required"]) == {"kpi", "max_regression_pct"}
    assert set(schemas["GateIn"]["properties"]) == {"kpi", "max_regression_pct", "query"}
    assert schemas["ReasonIn"]["required"] == ["reason"]
    assert set(schemas["RegionRollbackIn"]["properties"]) == {"version", "reason"}
    assert set(schemas["RouteOut"]["required"]) == {"zone", "region", "version", "fcs", "path"}
    assert schemas["RoutesIn"]["properties"]["zones"]["maxItems"] == 10_000


def test_docs__html__every_asset_served_by_the_app_itself() -> None:
    # When the browsable docs are opened
    response = Client().get(f"{API}/docs")

    # Then every script, style and icon comes from our own /static/, and exists there
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert assets, "the docs page loads no assets?"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file"
