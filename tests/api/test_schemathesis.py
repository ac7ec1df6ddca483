"""Property-based tests of the live OpenAPI document (schemathesis): for every operation, a
bounded number of generated requests with a valid token never get a 5xx, and every answer has
a documented status, content type and body schema.

schemathesis's pytest plugin (`schema.parametrize()`) does not run under pytest 9 (it reads
`request.node._nodeid`), so each operation is a plain pytest case that drives schemathesis's
Hypothesis strategy itself, against the WSGI application in this process and the test
database. An operation with path parameters runs twice: with generated ones (mostly 404s) and
with the ids of real rows, so the happy paths' answers are checked against their schemas too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from pytest_django.fixtures import Settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from regions_config.wsgi import application
from rollout.api import api
from rollout.services.simulations import simulation_job_create
from tests.api.helpers import API, Tokens
from tests.rollout_factories import (
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 12
#: no 5xx; the status, the content type and the body as documented
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _operations() -> list[tuple[str, str]]:
    document = api.get_openapi_schema(path_prefix=API)
    return sorted((method.upper(), path) for path, item in document["paths"].items()
                  for method in item)


def _runs() -> list[tuple[str, str, bool]]:
    """(method, path, with real ids): operations with path parameters run both ways."""
    return [(method, path, real) for method, path in _operations()
            for real in ((False, True) if "{" in path else (False,))]


def _role_for(method: str, path: str) -> str:
    """The operator's token, except where only another role gets past the 403."""
    if method == "POST" and (path.endswith(("/versions", "/rollouts", "/cancel", "/designs",
                                            "/save"))):
        return "editor"
    return "approver" if path.endswith("/approve") else "operator"


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Requests here go straight to the WSGI application, not through Django's test client, so
    Django's end-of-request hook would close the database connection inside the test's
    transaction (on PostgreSQL it closes a connection whose autocommit differs from the
    settings'). Detach the hook as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def live_document(db: None) -> Any:
    """The OpenAPI document as the running application serves it."""
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", application)


@pytest.fixture
def real_ids(who: People) -> dict[str, Any]:
    """Rows for the path parameters to point at: the original live everywhere, the rerouted
    version, a draft rollout of it."""
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    draft = rollout_factory(rerouted, ["NE"], ["MA", "SE"], who=who)
    job = simulation_job_create(version=rerouted, actor=who.viewer)
    return {"version_id": original.id, "a": original.id, "b": rerouted.id, "name": "routing.yaml",
            "rollout_id": draft.id, "code": "NE", "job_id": job.id}


def _fuzz(operation: Any, headers: dict[str, str],
          path_parameters: dict[str, Any] | None) -> None:
    strategy = operation.as_strategy(path_parameters=path_parameters)

    @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                         derandomize=True, phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize(("method", "path", "real"), _runs(),
                         ids=[f"{m} {p}{' real ids' if r else ''}" for m, p, r in _runs()])
def test_operation__generated_requests_with_a_valid_token__no_5xx_and_schema_conformant(
        method: str, path: str, real: bool, live_document: Any, real_ids: dict[str, Any],
        tokens: Tokens, settings: Settings) -> None:
    # Given the live document, real rows, a token that may call the operation, no rate limit
    settings.RRM_WRITE_RATE_PER_MINUTE = 0
    operation = live_document[path][method]
    headers = {"Authorization": f"Bearer {tokens.of(_role_for(method, path))}"}
    fixed = ({name: real_ids[name] for name in re.findall(r"\{([^}]+)\}", path)}
             if real else None)

    # When schemathesis sends its generated requests, then every answer passes the checks
    _fuzz(operation, headers, fixed)

