"""Webhooks: a delivery row per event, sent only after the commit, HMAC-signed with a
timestamp, retried; only to allowed addresses, never through a redirect, never for long.

Deliveries go to a tiny HTTP server on 127.0.0.1 in a thread, which stops by itself after a
few seconds even if a test forgets it. 127.0.0.1 is a loopback address, so these tests turn
RRM_WEBHOOK_ALLOW_PRIVATE on (as development does) unless they test its refusals.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from rollout import tasks
from rollout.models import AuditEvent, WebhookDelivery, WebhookSubscription
from rollout.services import engine, webhook_http
from rollout.services.engine import rollout_advance
from rollout.services.rollouts import rollout_rollback
from rollout.services.webhooks import (
    MAX_ATTEMPTS,
    REMOVED,
    SIGNATURE_HEADER,
    WebhookRefused,
    webhook_deliver,
    webhook_deliveries_due,
    webhook_event,
    webhook_retry_delay,
    webhook_signature,
    webhook_signature_verify,
    webhook_subscribe,
    webhook_unsubscribe,
)
from tests.conftest import SentTask
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
def _receivers_on_this_machine(settings: Settings) -> None:
    settings.RRM_WEBHOOK_ALLOW_PRIVATE = True


class Sent:
    """The webhook deliveries that would have been enqueued: `sent["deliver"]` the ids sent
    at once, `sent["deliver_later"]` the (args, eta) of retries sent for later."""

    def __init__(self, tasks: list[SentTask]) -> None:
        self.tasks = tasks

    def __getitem__(self, kind: str) -> list[Any]:
        deliveries = [t for t in self.tasks if t.name == "rollout.deliver_webhook"]
        if kind == "deliver":
            return [t.args[0] for t in deliveries if t.eta is None]
        assert kind == "deliver_later"
        return [(t.args, t.eta) for t in deliveries if t.eta is not None]


@pytest.fixture
def sent(sent_tasks: list[SentTask]) -> Sent:
    """Record what would be enqueued, instead of talking to a broker."""
    return Sent(sent_tasks)


@dataclass
class Receiver:
    """What the local server got, and the statuses it answers with, in order (then 200)."""

    statuses: list[int]
    url: str = ""
    port: int = 0
    #: (headers, body); the headers look names up case-insensitively
    requests: list[tuple[Message, bytes]] = field(default_factory=list)
    #: sent with every answer (e.g. a redirect's Location)
    headers: dict[str, str] = field(default_factory=dict)
    #: when given, every answer waits until it is set (a receiver that hangs)
    hold: threading.Event | None = None


@contextmanager
def receiver(*statuses: int, headers: dict[str, str] | None = None,
             hold: threading.Event | None = None,
             tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    received = Receiver(statuses=list(statuses), headers=headers or {}, hold=hold)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.requests.append((self.headers, body))
            if received.hold is not None:
                received.hold.wait(SERVER_LIFETIME_SECONDS)
            status = received.statuses.pop(0) if received.statuses else 200
            self.send_response(status)
            for name, value in received.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(HTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the client hung up on a held answer: expected, not worth a traceback

    server = Server(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.timeout = 0.05
    received.port = server.server_address[1]
    received.url = f"http://127.0.0.1:{received.port}/hook"
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
        if hold is not None:
            hold.set()
        stop.set()
        thread.join(timeout=2)


def subscription(url: str = "http://127.0.0.1:9/hook", **fields: Any) -> WebhookSubscription:
    return WebhookSubscription.objects.create(url=url, secret=SECRET, **fields)


# --- signature ------------------------------------------------------------------------------


def test_signature__timestamp_and_body__hmac_sha256_of_t_dot_body() -> None:
    body = json.dumps({"event": "activation"}).encode()

    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()

    signed = webhook_signature(secret=SECRET, body=body, timestamp=1700000000)
    assert signed == f"t=1700000000,v1={expected}"


def test_signature_verify__fresh_signature__accepted() -> None:
    body = b'{"id": 1}'

    header = webhook_signature(secret=SECRET, body=body, timestamp=1700000000)

    assert webhook_signature_verify(secret=SECRET, header=header, body=body, now=1700000000 + 299)


@pytest.mark.parametrize(("what", "secret", "body", "now"), [
    ("replayed after the tolerance", SECRET, b'{"id": 1}', 1700000000 + 301),
    ("from the future", SECRET, b'{"id": 1}', 1700000000 - 301),
    ("another body", SECRET, b'{"id": 2}', 1700000000),
    ("another secret", "other-secret", b'{"id": 1}', 1700000000),
])
def test_signature_verify__tampered_or_old__refused(what: str, secret: str, body: bytes,
                                                    now: int) -> None:
    header = webhook_signature(secret=SECRET, body=b'{"id": 1}', timestamp=1700000000)

    assert not webhook_signature_verify(secret=secret, header=header, body=body, now=now), what


@pytest.mark.parametrize("header", ["", "v1=abc", "t=soon,v1=abc", "sha256=abc",
                                    "t=1700000000,v1=" + "0" * 64])
def test_signature_verify__malformed_header__refused(header: str) -> None:
    assert not webhook_signature_verify(secret=SECRET, header=header, body=b"{}", now=1700000000)


def test_readme_receiver_check__our_signature__accepted_and_replays_refused() -> None:
    # Given the receiver's check the README shows, run as written
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("\n### Webhooks\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    verify = namespace["verify"]
    body = b'{"event": "activation", "id": 7, "payload": {}}'

    # Then it accepts what a delivery sends now, and refuses it when old or altered
    now = int(time.time())
    assert verify(SECRET.encode(), webhook_signature(secret=SECRET, body=body, timestamp=now), body)
    assert not verify(SECRET.encode(),
                      webhook_signature(secret=SECRET, body=body, timestamp=now - 301), body)
    assert not verify(SECRET.encode(), webhook_signature(secret=SECRET, body=body, timestamp=now),
                      body + b" ")
    assert not verify(b"another secret", webhook_signature(secret=SECRET, body=body, timestamp=now),
                      body)


# --- events: which subscriptions, and only after the commit ---------------------------------


def test_webhook_event__subscriptions__a_row_for_each_that_wants_the_event() -> None:
    everything = subscription()
    rollbacks = subscription(events=["rollback"])
    subscription(active=False)

    deliveries = webhook_event(event="activation", payload={"rollout": 1})

    assert [d.subscription for d in deliveries] == [everything]
    rolled_back = webhook_event(event="rollback", payload={})
    assert {d.subscription for d in rolled_back} == {everything, rollbacks}


def test_rollout_advance__phase_activated__one_delivery_sent_only_after_commit(
        who: People, sent: Sent,
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
        who: People, sent: Sent,
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
        who: People, sent: Sent, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    # Given an activation that fails after its webhook row was written
    subscription()
    make_live(original_version())
    rollout = rollout_factory(rerouted_version(), ["NE"], who=who, state="running")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "rollout_advance_schedule", broken)

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
        [delivery] = webhook_event(event="activation", payload={"regions": ["NE"]})

        # When the delivery is sent

        result = webhook_deliver(delivery_id=delivery.id)

    # Then it arrived once, as JSON signed with the subscription's secret
    assert result is not None
    assert (result.status, result.attempts, result.response_status) == ("delivered", 1, 200)
    assert result.delivered_at is not None and result.last_error == ""
    [(headers, body)] = hook.requests
    assert json.loads(body) == {"id": delivery.id, "event": "activation",
                                "payload": {"regions": ["NE"]}}
    assert webhook_signature_verify(secret=SECRET, header=headers[SIGNATURE_HEADER], body=body,
                                    now=time.time())
    assert headers["Content-Type"] == "application/json"
    assert (headers["X-RRM-Event"], headers["X-RRM-Delivery"]) == ("activation", str(delivery.id))


def test_webhook_deliver__already_delivered__not_sent_again() -> None:
    with receiver() as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event(event="activation", payload={})
        webhook_deliver(delivery_id=delivery.id)

        again = webhook_deliver(delivery_id=delivery.id)

    assert again is None
    assert len(hook.requests) == 1


def test_deliver_webhook__500_then_200__retried_with_backoff_then_delivered(
        sent: Sent) -> None:
    with receiver(500) as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event(event="rollback", payload={"region": "SE"})
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
        assert delivery.id not in webhook_deliveries_due()  # not due before its backoff

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
        [delivery] = webhook_event(event="activation", payload={})

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
    [delivery] = webhook_event(event="activation", payload={})

    result = webhook_deliver(delivery_id=delivery.id)

    assert result is not None
    assert (result.status, result.attempts, result.response_status) == ("pending", 1, None)
    assert result.last_error


def test_webhook_deliver__204__delivered() -> None:
    with receiver(204) as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event(event="activation", payload={})

        result = webhook_deliver(delivery_id=delivery.id)

    assert result is not None
    assert (result.status, result.response_status) == ("delivered", 204)


def test_webhook_deliver__redirect__failed_attempt_with_its_status_and_not_followed() -> None:
    # Given a receiver that answers the signed POST with a redirect to another server
    with receiver() as elsewhere, receiver(302, headers={"Location": elsewhere.url}) as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event(event="activation", payload={})

        # When the delivery is sent
        result = webhook_deliver(delivery_id=delivery.id)

    # Then it is not delivered: the 302 is recorded, retried later, and never followed
    assert result is not None
    assert (result.status, result.attempts, result.response_status) == ("pending", 1, 302)
    assert "redirect" in result.last_error and elsewhere.url in result.last_error
    assert len(hook.requests) == 1
    assert elsewhere.requests == []


def test_webhook_deliver__receiver_hangs__attempt_cut_at_the_timeout(
        settings: Settings) -> None:
    # Given a receiver that takes the POST and never answers (until the test ends)
    settings.RRM_WEBHOOK_TIMEOUT_SECONDS = 0.3
    with receiver(hold=threading.Event()) as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event(event="activation", payload={})

        # When the delivery is sent
        result = webhook_deliver(delivery_id=delivery.id)

        # Then the attempt ended while the receiver was still holding it: a failed attempt
        assert hook.hold is not None and not hook.hold.is_set()
    assert result is not None
    assert (result.status, result.attempts, result.response_status) == ("pending", 1, None)
    assert "no answer within 0.3 s" in result.last_error
    assert len(hook.requests) == 1


def test_webhook_deliver__socket_timeout_before_the_watchdog__says_no_answer_too(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a hanging receiver and a watchdog that runs late (a loaded machine: here, never),
    # so the socket's own timeout ends the wait
    class LateTimer:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.daemon = True

        def start(self) -> None:
            pass

        def cancel(self) -> None:
            pass

    monkeypatch.setattr(webhook_http.threading, "Timer", LateTimer)
    settings.RRM_WEBHOOK_TIMEOUT_SECONDS = 0.3
    with receiver(hold=threading.Event()) as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event(event="activation", payload={})

        # When the delivery is sent
        result = webhook_deliver(delivery_id=delivery.id)

    # Then the error says the same as when the watchdog cuts it
    assert result is not None
    assert "TimeoutError" in result.last_error
    assert "no answer within 0.3 s" in result.last_error


# --- where a delivery may go ----------------------------------------------------------------


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Answers for host names: each lookup of a name takes the next answer of its list (the
    last one repeats), as a name server under an attacker's control could; an answer holds
    one or more addresses separated by spaces. Other names and address literals resolve as
    usual. `dns["asked"]` lists the names looked up."""
    answers: dict[str, list[str]] = {"asked": []}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        answers["asked"].append(host)
        queue = answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6,
                 "", (address, port)) for address in answer.split()]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize(("url", "said"), [
    ("http://127.0.0.1:8000/api/v1/rollouts", "127.0.0.1 is a loopback address"),
    ("http://[::1]/hook", "::1 is a loopback address"),
    ("https://10.0.0.8/hook", "10.0.0.8 is a private address"),
    ("https://192.168.1.1/hook", "is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "is a link-local address"),
    ("http://100.64.0.1/hook", "is not a public address"),
    ("http://[fe80::1]/hook", "is a link-local address"),
    ("http://[fd00::1]/hook", "is a private address"),
    ("http://[64:ff9b::a00:1]/hook", "a private address (10.0.0.1 inside it)"),
    ("http://[2002:c0a8:101::]/hook", "a private address (192.168.1.1 inside it)"),
    ("http://239.1.2.3/hook", "is a multicast address"),
    ("http://0.0.0.0/hook", "is the unspecified address"),
    ("http://intranet.example/hook", "intranet.example resolves to 10.1.1.1, which is a private"),
    ("http://internal.example/hook", "resolves to 127.0.0.1, which is a loopback address"),
])
def test_webhook_subscribe__internal_address__refused_with_the_reason_and_nothing_stored(
        who: People, settings: Settings, dns: dict[str, list[str]], url: str,
        said: str) -> None:
    # Given production settings, and names that resolve inside the network
    settings.RRM_WEBHOOK_ALLOW_PRIVATE = False
    dns["intranet.example"] = ["10.1.1.1"]
    dns["internal.example"] = ["93.184.215.14 127.0.0.1"]  # one bad address is enough

    # When an operator subscribes a URL there
    with pytest.raises(WebhookRefused) as refused:
        webhook_subscribe(url=url, secret=SECRET * 3, events=[], actor=who.operator)

    # Then it is refused with what and why, and nothing is stored
    assert said in str(refused.value)
    assert "RRM_WEBHOOK_ALLOW_PRIVATE" in str(refused.value)
    assert not WebhookSubscription.objects.exists()
    assert not AuditEvent.objects.filter(action="webhook.subscribed").exists()


def test_webhook_subscribe__public_address__subscribed(
        who: People, settings: Settings, dns: dict[str, list[str]]) -> None:
    settings.RRM_WEBHOOK_ALLOW_PRIVATE = False
    dns["hooks.example.com"] = ["93.184.215.14"]

    hook = webhook_subscribe(url="https://hooks.example.com/rrm", secret=SECRET * 3,
                             events=["activation"], actor=who.operator)

    assert (hook.url, hook.events, hook.active) == ("https://hooks.example.com/rrm",
                                                    ["activation"], True)


@pytest.mark.parametrize(("url", "said"), [
    ("ftp://example.com/hook", "not an http(s) URL"),
    ("http:///hook", "names no host"),
    ("http://user:pw@example.com/hook", "user name or password"),
    ("http://example.com:99999/hook", "not a valid URL"),
    ("http://example.com/a b", "spaces or control characters"),
    ("https://example.invalid/hook", "does not resolve"),
    ("https://example.com/" + "a" * 500, "longer than 500 characters"),
])
def test_webhook_subscribe__unusable_url__refused(who: People, url: str, said: str) -> None:
    with pytest.raises(WebhookRefused) as refused:
        webhook_subscribe(url=url, secret=SECRET * 3, events=[], actor=who.operator)

    assert said in str(refused.value)
    assert not WebhookSubscription.objects.exists()


def test_webhook_deliver__host_now_resolves_to_loopback__failed_and_nothing_sent(
        who: People, settings: Settings, dns: dict[str, list[str]]) -> None:
    # Given a subscription checked when it was added (a public address then)...
    settings.RRM_WEBHOOK_ALLOW_PRIVATE = False
    with receiver() as hook:
        dns["hooks.example.com"] = ["93.184.215.14", "127.0.0.1"]
        webhook_subscribe(url=f"http://hooks.example.com:{hook.port}/hook", secret=SECRET * 3,
                          events=[], actor=who.operator)
        [delivery] = webhook_event(event="activation", payload={})

        # When its name points at this machine by the time the delivery is sent
        result = webhook_deliver(delivery_id=delivery.id)

    # Then the delivery is refused for good, and the receiver here got nothing
    assert result is not None
    assert (result.status, result.attempts, result.response_status) == ("failed", 1, None)
    assert "refused" in result.last_error and "127.0.0.1, which is a loopback" in result.last_error
    assert hook.requests == []


def test_webhook_deliver__name_answers_change__connects_to_the_address_it_checked(
        dns: dict[str, list[str]]) -> None:
    # Given a name whose first answer is the receiver here and whose later answers are not
    with receiver() as hook:
        dns["hooks.example.com"] = ["127.0.0.1", "10.66.0.1"]
        subscription(url=f"http://hooks.example.com:{hook.port}/hook")
        [delivery] = webhook_event(event="activation", payload={})

        # When the delivery is sent
        result = webhook_deliver(delivery_id=delivery.id)

    # Then the name was looked up once, the POST went to that answer, named by its host
    assert result is not None and result.status == "delivered"
    assert dns["asked"] == ["hooks.example.com"]
    [(headers, _)] = hook.requests
    assert headers["Host"] == f"hooks.example.com:{hook.port}"


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """A self-signed certificate (and its key, in the same file) for hooks.example.com."""
    path = tmp_path / "hooks.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=hooks.example.com",
                    "-addext", "subjectAltName=DNS:hooks.example.com",
                    "-keyout", str(path), "-out", str(path)],
                   check=True, capture_output=True, timeout=60)
    return path


def tls_server(certificate: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate)
    return context


def test_webhook_deliver__https_certificate_for_the_name__delivered_to_the_checked_address(
        certificate: Path, dns: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an HTTPS receiver whose certificate names hooks.example.com, trusted here
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    with receiver(tls=tls_server(certificate)) as hook:
        dns["hooks.example.com"] = ["127.0.0.1"]
        subscription(url=f"https://hooks.example.com:{hook.port}/hook")
        [delivery] = webhook_event(event="activation", payload={})

        # When the delivery is sent (to the address, with the name for TLS and Host)
        result = webhook_deliver(delivery_id=delivery.id)

    # Then it arrived
    assert result is not None
    assert (result.status, result.response_status) == ("delivered", 200), result.last_error
    [(headers, _)] = hook.requests
    assert headers["Host"] == f"hooks.example.com:{hook.port}"


def test_webhook_deliver__https_certificate_not_trusted__failed_attempt_nothing_sent(
        certificate: Path, dns: dict[str, list[str]]) -> None:
    with receiver(tls=tls_server(certificate)) as hook:
        dns["hooks.example.com"] = ["127.0.0.1"]
        subscription(url=f"https://hooks.example.com:{hook.port}/hook")
        [delivery] = webhook_event(event="activation", payload={})

        result = webhook_deliver(delivery_id=delivery.id)

    assert result is not None
    assert (result.status, result.response_status) == ("pending", None)
    assert "CERTIFICATE_VERIFY_FAILED" in result.last_error
    assert hook.requests == []


def test_webhook_deliver__allowed_then_setting_off__failed_and_nothing_sent(
        settings: Settings) -> None:
    with receiver() as hook:
        subscription(url=hook.url)
        [delivery] = webhook_event(event="activation", payload={})
        settings.RRM_WEBHOOK_ALLOW_PRIVATE = False

        result = webhook_deliver(delivery_id=delivery.id)

    assert result is not None and result.status == "failed"
    assert "127.0.0.1 is a loopback address" in result.last_error
    assert hook.requests == []


# --- removing a subscription ----------------------------------------------------------------


def test_webhook_unsubscribe__pending_retry__stopped_and_never_sent_again(
        who: People, sent: Sent) -> None:
    # Given a delivery waiting for its retry after a 500
    with receiver(500) as hook:
        hook_row = subscription(url=hook.url)
        [delivery] = webhook_event(event="activation", payload={})
        assert tasks.deliver_webhook(delivery.id) == "pending"

        # When the subscription is removed
        webhook_unsubscribe(subscription_id=hook_row.id, actor=who.operator)

        # Then the retry is settled at once, and when its time comes nothing is sent
        delivery.refresh_from_db()
        assert (delivery.status, delivery.last_error) == ("failed", REMOVED)
        make_due(delivery.id)
        assert delivery.id not in webhook_deliveries_due()
        assert tasks.deliver_webhook(delivery.id) == "settled"
    assert len(hook.requests) == 1
    [event] = AuditEvent.objects.filter(action="webhook.unsubscribed")
    assert event.details["pending_stopped"] == 1


def test_webhook_deliver__subscription_inactive__failed_without_sending() -> None:
    with receiver() as hook:
        hook_row = subscription(url=hook.url)
        [delivery] = webhook_event(event="activation", payload={})
        WebhookSubscription.objects.filter(id=hook_row.id).update(active=False)

        result = webhook_deliver(delivery_id=delivery.id)

    assert result is not None
    assert (result.status, result.attempts, result.last_error) == ("failed", 0, REMOVED)
    assert hook.requests == []


# --- their own queue ------------------------------------------------------------------------


def test_task_routing__webhooks_and_jobs__own_queues_apart_from_rollout_steps() -> None:
    from regions_config.celery import app

    def queue(task: str) -> str:
        return str(app.amqp.router.route({}, task)["queue"].name)

    assert queue("rollout.deliver_webhook") == "webhooks"
    assert queue("rollout.advance") == queue("rollout.sweep") == "celery"
    # the long computations have a queue of their own too
    assert queue("rollout.simulate_job") == queue("rollout.design_job_run") == "jobs"
    # a worker started without -Q (`celery -A regions_config worker --beat`) consumes them all
    assert set(app.amqp.queues) == {"celery", "webhooks", "jobs"}


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 10), (2, 20), (3, 40), (6, 320),
                                                   (7, 600), (30, 600)])
def test_retry_delay__attempts__doubles_from_10_seconds_capped_at_10_minutes(
        attempts: int, seconds: int) -> None:
    assert webhook_retry_delay(attempts=attempts) == timedelta(seconds=seconds)


def test_due_deliveries__pending_and_due__listed() -> None:
    subscription()
    [due] = webhook_event(event="activation", payload={})
    [later] = webhook_event(event="activation", payload={})
    WebhookDelivery.objects.filter(id=later.id).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert webhook_deliveries_due() == [due.id]


def make_due(delivery_id: int) -> None:
    """Move a delivery's next attempt to now, as the clock would after its backoff."""
    WebhookDelivery.objects.filter(id=delivery_id).update(next_attempt_at=timezone.now())
