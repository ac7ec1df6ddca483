"""A webhook receiver that never answers does not hold a rollout back.

Rollout steps run on a worker of the `celery` queue (the `worker` fixture), deliveries on a
worker of the `webhooks` queue, as the README's production layout says. The receiver takes each
POST and holds it until the test ends (the delivery timeout is raised far past that), so the
rollout can only finish while its deliveries are still on the wire if nothing waits on them.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rollout.domain.lifecycle import State
from rollout.models import Rollout, WebhookDelivery, WebhookSubscription
from tests.integration.helpers import (
    CeleryWorker,
    celery_worker_running,
    wait_for,
    worker_database_url,
)
from tests.integration.scenario import (
    baseline_live,
    east_coast_versions,
    people,
    rollout_started,
)

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_SECONDS = 120.0


class HangingReceiver:
    """An HTTP server on 127.0.0.1 that reads each POST and answers only when released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.received: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.received.append(
                    self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                receiver.release.wait(HOLD_SECONDS)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HangingReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_worker(worker: CeleryWorker, tmp_path: Path) -> Iterator[Path]:
    """`celery -A regions_config worker -Q webhooks --pool threads`, beside the rollout worker,
    allowed to reach 127.0.0.1 and waiting up to HOLD_SECONDS for an answer."""
    log_path = tmp_path / "webhook-worker.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DATABASE_URL": worker_database_url(),
           "RRM_VAR_DIR": str(tmp_path / "var"), "RRM_WEBHOOK_ALLOW_PRIVATE": "true",
           "RRM_WEBHOOK_TIMEOUT_SECONDS": str(int(HOLD_SECONDS))}
    with celery_worker_running(
            ["-Q", "webhooks", "--pool=threads", "--concurrency=4", "--loglevel=INFO",
             "--hostname", f"rrm-it-webhooks-{uuid.uuid4().hex[:8]}@%h"],
            env=env, log_path=log_path):
        yield log_path


def test_rollout__receiver_never_answers__rollout_completes_while_deliveries_hang(
        worker: CeleryWorker, webhook_worker: Path) -> None:
    # Given a subscriber that holds every POST, and a live baseline
    who = people()
    baseline, new = east_coast_versions()
    baseline_live(baseline)
    with HangingReceiver() as receiver:
        WebhookSubscription.objects.create(url=receiver.url, secret="s" * 20)

        # When a three-phase rollout runs
        rollout = rollout_started(who, new)

        # Then it completes, every phase activated once...
        def finished() -> Rollout | None:
            rollout.refresh_from_db()
            return rollout if rollout.state not in (State.RUNNING, State.APPROVED) else None

        wait_for(finished, timeout=90, what=f"rollout {rollout.id} to finish", worker=worker)
        assert rollout.state == State.COMPLETED, worker.tail()
        assert all(p.activated_at is not None for p in rollout.phases.all())
        # ...while no delivery has an outcome: the receiver has answered none
        deliveries = list(WebhookDelivery.objects.all())
        assert len(deliveries) == 3  # one activation event per phase
        assert all(d.status == WebhookDelivery.Status.PENDING and d.response_status is None
                   and d.last_error == "" for d in deliveries)
        # and the deliveries do go out (the webhooks worker sends them; the receiver holds them)
        wait_for(lambda: len(receiver.received) >= 1, timeout=60,
                 what="the webhooks worker to send a delivery\n"
                      + webhook_worker.read_text(errors="replace")[-2000:])
        assert not receiver.release.is_set()
