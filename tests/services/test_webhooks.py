"""Webhooks: a delivery row per event, sent only after the commit, HMAC-signed, retried.

Deliveries go to a tiny HTTP server on 127.0.0.1 in a thread, which stops by itself after a
few seconds even if a test forgets it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.utils import timezone

from rollout import tasks
from rollout.models import WebhookDelivery, WebhookSubscription
from rollout.services import engine
from rollout.services.engine import rollout_advance
from rollout.services.rollouts import rollout_rollback
from rollout.services.webhooks import (
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    due_deliveries,
    retry_delay,
    signature,
    webhook_deliver,
    webhook_event,
)
from tests.rollout_factories import (
    Clock,
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

SECRET = "s3cret"
SERVER_LIFETIME_SECONDS = 10.0


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib would send even a loopback request through a proxy named in the environment."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Record what would be enqueued, instead of talking to a broker."""
    calls: dict[str, list[Any]] = {"deliver": [], "deliver_later": [], "advance": []}
    monkeypatch.setattr(tasks.deliver_webhook, "delay", calls["deliver"].append)
    monkeypatch.setattr(tasks.deliver_webhook, "apply_async",
                        lambda args, eta=None: calls["deliver_later"].append((args, eta)))
    monkeypatch.setattr(tasks.advance, "delay", calls["advance"].append)
    monkeypatch.setattr(tasks.advance, "apply_async",
                        lambda args, eta=None: calls["advance"].append((args, eta)))
    return calls


@dataclass
class Receiver:
    """What the local server got, and the statuses it answers with, in order (then 200)."""

    statuses: list[int]
    url: str = ""
    #: (headers, body); the headers look names up case-insensitively
    requests: list[tuple[Message, bytes]] = field(default_factory=list)


@contextmanager
def receiver(*statuses: int) -> Iterator[Receiver]:
    received = Receiver(statuses=list(statuses))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.requests.append((self.headers, body))
            status = received.statuses.pop(0) if received.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 0.05
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    stop = threading.Event()
    deadline = time.monotonic() + SERVER_LIFETIME_SECONDS

    def serve() -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            server.handle_request()
        server.server_close()

    thread = threading.Thread(target=serve, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield received
    finally:
        stop.set()
        thread.join(timeout=2)


def subscription(url: str = "http://127.0.0.1:9/hook", **fields: Any) -> WebhookSubscription:
    return WebhookSubscription.objects.create(url=url, secret=SECRET, **fields)


# --- signature ------------------------------------------------------------------------------


def test_signature__rfc_4231_vector__hmac_sha256_hex_with_prefix() -> None:
    # RFC 4231, test case 2
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_signature__any_body__matches_a_receivers_own_check() -> None:
    body = json.dumps({"event": "activation"}).encode()

    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()

    assert signature(SECRET, body) == expected
    assert signature(SECRET, body + b" ") != expected


# --- events: which subscriptions, and only after the commit ---------------------------------


def test_webhook_event__subscriptions__a_row_for_each_that_wants_the_event() -> None:
    everything = subscription()
    rollbacks = subscription(events=["rollback"])
    subscription(active=False)

    deliveries = webhook_event("activation", {"rollout": 1})

    assert [d.subscription for d in deliveries] == [everything]
    assert {d.subscription for d in webhook_event("rollback", {})} == {everything, rollbacks}


def test_rollout_advance__phase_activated__one_delivery_sent_only_after_commit(
        who: People, sent: dict[str, list[Any]],
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    # Given a subscriber and a running rollout
    hook = subscription()
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE", "MA"], ["SE"], who=who, state="running")

    # When phase 1 goes live, inside a transaction that has not committed yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollout_advance(rollout_id=rollout.id, now=Clock().now)

        # Then the delivery row is written with the change, but nothing is sent yet
        [delivery] = WebhookDelivery.objects.all()
        assert sent["deliver"] == []

    assert (delivery.subscription, delivery.event, delivery.status) == (hook, "activation",
                                                                        "pending")
    assert delivery.payload == {"rollout": rollout.id, "phase": 1, "regions": ["NE", "MA"],
                                "version": rerouted_version().id}
    # When the commit happens, the delivery is enqueued
    for callback in callbacks:
        callback()
    assert sent["deliver"] == [delivery.id]


def test_rollout_rollback__subscriber__one_rollback_delivery_after_commit(
        who: People, sent: dict[str, list[Any]],
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    subscription(events=["rollback"])
    original = original_version()
    make_live(original)
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who, state="running")
    rollout_advance(rollout_id=rollout.id, now=Clock().now)

    with django_capture_on_commit_callbacks(execute=True):
        rollout_rollback(rollout_id=rollout.id, actor=who.operator, reason="slow")

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == "rollback"
    assert delivery.payload == {"rollout": rollout.id, "restored": {"NE": original.id},
                                "reason": "slow"}
    assert sent["deliver"] == [delivery.id]


def test_rollout_advance__change_rolled_back__nothing_announced(
        who: People, sent: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    # Given an activation that fails after its webhook row was written
    subscription()
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who, state="running")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "schedule_advance", broken)

    # When the step fails and its transaction rolls back
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        rollout_advance(rollout_id=rollout.id, now=Clock().now)

    # Then no delivery exists and nothing was enqueued
    assert not WebhookDelivery.objects.exists()
    assert sent["deliver"] == []


# --- delivery over HTTP ---------------------------------------------------------------------


def test_webhook_deliver__receiver_answers_200__delivered_signed_json() -> None:
    # Given a subscriber listening on this machine
    with receiver() as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event("activation", {"regions": ["NE"]})

        # When the delivery is sent

        result = webhook_deliver(delivery_id=delivery.id)

    # Then it arrived once, as JSON signed with the subscription's secret
    assert result is not None
    assert (result.status, result.attempts, result.response_status) == ("delivered", 1, 200)
    assert result.delivered_at is not None and result.last_error == ""
    [(headers, body)] = hook.requests
    assert json.loads(body) == {"id": delivery.id, "event": "activation",
                                "payload": {"regions": ["NE"]}}
    assert headers[SIGNATURE_HEADER] == signature(SECRET, body)
    assert headers["Content-Type"] == "application/json"
    assert (headers["X-RRM-Event"], headers["X-RRM-Delivery"]) == ("activation", str(delivery.id))


def test_webhook_deliver__already_delivered__not_sent_again() -> None:
    with receiver() as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event("activation", {})
        webhook_deliver(delivery_id=delivery.id)

        again = webhook_deliver(delivery_id=delivery.id)

    assert again is None
    assert len(hook.requests) == 1


def test_deliver_webhook__500_then_200__retried_with_backoff_then_delivered(
        sent: dict[str, list[Any]]) -> None:
    with receiver(500) as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event("rollback", {"region": "SE"})
        started = timezone.now()

        # When the first attempt gets a 500
        first = tasks.deliver_webhook(delivery.id)

        # Then the delivery stays pending, due again after the first backoff, re-enqueued then
        delivery.refresh_from_db()
        assert first == "pending"
        assert (delivery.attempts, delivery.response_status) == (1, 500)
        assert "500" in delivery.last_error
        assert started + timedelta(seconds=10) <= delivery.next_attempt_at
        assert delivery.next_attempt_at <= timezone.now() + timedelta(seconds=10)
        assert sent["deliver_later"] == [((delivery.id,), delivery.next_attempt_at)]
        assert delivery.id not in due_deliveries()  # not due before its backoff

        # When the retry runs: delivered, with the same signed body
        make_due(delivery.id)  # the moment its backoff ends (the ETA task or the sweep)
        second = tasks.deliver_webhook(delivery.id)

    delivery.refresh_from_db()
    assert second == "delivered"
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 2, 200)
    assert hook.requests[0][1] == hook.requests[1][1]
    assert tasks.deliver_webhook(delivery.id) == "settled"


def test_webhook_deliver__always_500__gives_up_after_max_attempts() -> None:
    with receiver(*[500] * MAX_ATTEMPTS) as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event("activation", {})

        results = []
        for _ in range(MAX_ATTEMPTS + 1):
            make_due(delivery.id)
            results.append(webhook_deliver(delivery_id=delivery.id))

    assert [r.status if r else None for r in results] == (
        ["pending"] * (MAX_ATTEMPTS - 1) + ["failed", None])
    assert len(hook.requests) == MAX_ATTEMPTS


def test_webhook_deliver__nobody_listening__pending_with_the_error() -> None:
    with receiver() as hook:
        url = hook.url
    subscription(url=url)  # the server is gone: the port refuses connections
    [delivery] = webhook_event("activation", {})

    result = webhook_deliver(delivery_id=delivery.id)

    assert result is not None
    assert (result.status, result.attempts, result.response_status) == ("pending", 1, None)
    assert result.last_error


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 10), (2, 20), (3, 40), (6, 320),
                                                   (7, 600), (30, 600)])
def test_retry_delay__attempts__doubles_from_10_seconds_capped_at_10_minutes(
        attempts: int, seconds: int) -> None:
    assert retry_delay(attempts) == timedelta(seconds=seconds)


def test_due_deliveries__pending_and_due__listed() -> None:
    subscription()
    [due] = webhook_event("activation", {})
    [later] = webhook_event("activation", {})
    WebhookDelivery.objects.filter(id=later.id).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert due_deliveries() == [due.id]


def make_due(delivery_id: int) -> None:
    """Move a delivery's next attempt to now, as the clock would after its backoff."""
    WebhookDelivery.objects.filter(id=delivery_id).update(next_attempt_at=timezone.now())
