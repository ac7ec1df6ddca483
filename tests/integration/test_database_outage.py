"""The web tier across a PostgreSQL restart: persistent connections die with the server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

from rollout.services.roles import Role
from rollout.services.tokens import token_create
from tests.factories import user_factory
from tests.integration.helpers import or_skip, postgres_controllable, worker_database_url
from tests.integration.soak import Api, WebServer

pytestmark = pytest.mark.django_db(transaction=True)


def test_api__database_restarted_between_requests__next_request_answers(
        transactional_db: None, tmp_path: Path) -> None:
    postgres = or_skip(postgres_controllable(os.environ["DATABASE_URL"]))
    # Given a gunicorn process (one worker) that has answered a request, so it keeps a
    # persistent database connection (CONN_MAX_AGE)
    _, token = token_create(user=user_factory("viewer"), role=Role.VIEWER)
    web = WebServer(env={**os.environ, "DATABASE_URL": worker_database_url(),
                         "RRM_VAR_DIR": str(tmp_path)}, log_path=tmp_path / "gunicorn.log")
    web.start()
    try:
        api = Api([web.url])
        assert api.request("GET", "/rollouts", token)[0] == 200

        # When PostgreSQL restarts (every connection cut) between two requests
        postgres.outage(seconds=1)
        connection.close()  # this process's connection died with the server too

        # Then the next requests are answered, not a 500 over a dead connection
        statuses = [api.request("GET", "/rollouts", token)[0] for _ in range(3)]
    finally:
        web.stop()
    assert statuses == [200, 200, 200]
