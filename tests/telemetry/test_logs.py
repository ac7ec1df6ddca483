"""JSON logs (rollout/telemetry/logs.py, RRM_LOG_FORMAT=json): one object per line, the event's
`key=value` pairs as fields, and the request's id, user, rollout and region."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from rollout.services.engine import rollout_advance
from rollout.services.roles import Role
from rollout.services.tokens import token_create
from rollout.telemetry.logs import JsonFormatter, log_context
from tests.rollout_factories import (
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

REPO = Path(__file__).resolve().parents[2]


def record(message: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("rollout.services.x", level, __file__, 1, message, args, None)


def test_json_formatter__event_with_pairs__one_object_with_fields() -> None:
    # Given an event logged as the project logs them
    line = JsonFormatter().format(record("rollout.rolled_back rollout_id=%s regions=%s", 12,
                                         "NE,MA"))

    # Then one JSON object on one line, the pairs as fields, rollout and region named
    assert "\n" not in line
    event = json.loads(line)
    assert event["event"] == "rollout.rolled_back" and event["level"] == "INFO"
    assert event["logger"] == "rollout.services.x" and event["time"].endswith("Z")
    assert (event["rollout"], event["region"], event["regions"]) == ("12", "NE,MA", "NE,MA")


def test_json_formatter__plain_message_in_a_context__context_fields_kept() -> None:
    # Given a message without pairs, inside a task's context
    with log_context(task="rollout.advance", task_id="t-1", rollout=7):
        event = json.loads(JsonFormatter().format(record("nothing to do, it said")))

    # Then no event name, the message whole, the context's fields
    assert "event" not in event and event["message"] == "nothing to do, it said"
    assert (event["task"], event["task_id"], event["rollout"]) == ("rollout.advance", "t-1", 7)


def test_json_formatter__exception__traceback_in_one_field() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failing = record("webhook.failed delivery_id=3", level=logging.ERROR)
        failing.exc_info = sys.exc_info()
    event = json.loads(JsonFormatter().format(failing))
    assert "ValueError: boom" in event["exception"] and event["delivery_id"] == "3"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the `rollout` loggers write, formatted as with RRM_LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("rollout")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_api_request__logs_an_event__request_id_user_and_rollout_in_the_line(
        json_lines: io.StringIO, who: People) -> None:
    # Given a running rollout whose first phase is live, and an operator's token
    token = token_create(user=who.operator, role=Role.OPERATOR, name="ops")[1]
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who, state="running",
                              bake_minutes=30)
    rollout_advance(rollout_id=rollout.id, now=timezone.now())

    # When an operator rolls it back through the API, with a request id
    response = Client().post(f"/api/v1/rollouts/{rollout.id}/rollback",
                             {"reason": "back out"}, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}",
                             HTTP_X_REQUEST_ID="req-42")

    # Then the answer echoes the id, and each line logged meanwhile carries it, the user and
    # the rollout of the URL
    assert response.status_code == 200, response.content
    assert response["X-Request-ID"] == "req-42"
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    ours = [line for line in lines if line.get("request_id") == "req-42"]
    assert "rollout.rolled_back" in [line.get("event") for line in ours], lines
    assert [(line.get("user"), line.get("rollout")) for line in ours] == [
        (who.operator.username, rollout.id)] * len(ours), ours


@pytest.mark.django_db
def test_request__no_or_bad_request_id__a_new_one_given() -> None:
    fresh = Client().get("/healthz")
    odd = Client().get("/healthz", HTTP_X_REQUEST_ID="not ok\n" * 20)
    assert len(fresh["X-Request-ID"]) == 32 and len(odd["X-Request-ID"]) == 32
    assert fresh["X-Request-ID"] != odd["X-Request-ID"]


@pytest.mark.parametrize(("value", "json_out"), [("json", True), ("", False), (None, False)])
def test_settings__rrm_log_format__chooses_the_lines(value: str | None, json_out: bool) -> None:
    # Given a process started with RRM_LOG_FORMAT set (or not)
    env = {k: v for k, v in os.environ.items() if k != "RRM_LOG_FORMAT"}
    if value is not None:
        env["RRM_LOG_FORMAT"] = value

    # When it logs an event
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "import logging; logging.getLogger('rollout.x').info('thing.done region=NE')"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True)

    # Then a JSON object, or the text line of `make run`
    line = result.stderr.strip().splitlines()[-1]
    if json_out:
        assert json.loads(line)["region"] == "NE"
    else:
        assert line.endswith("INFO rollout.x thing.done region=NE")
