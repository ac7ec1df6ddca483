"""Fixtures shared by every test."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class OutboundConnectionError(RuntimeError):
    """A test tried to open a connection off this machine.

    A RuntimeError rather than an OSError, so that retry loops catching network errors cannot
    swallow it and the test fails where the connection was attempted.
    """


def _is_local(sock: socket.socket, address: Any) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = str(address[0]).strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # any other host name would need a DNS answer from outside
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


@pytest.fixture(autouse=True)
def _block_outbound_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests talk only to this machine: loopback addresses, localhost and Unix sockets.

    Local PostgreSQL and Redis (the integration runs) and live test servers stay reachable;
    anything else raises OutboundConnectionError.
    """
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(sock: socket.socket, address: Any) -> None:
        if not _is_local(sock, address):
            raise OutboundConnectionError(
                f"test tried to connect to {address!r}: outbound network is blocked in tests "
                "(tests/conftest.py)"
            )

    def connect(self: socket.socket, address: Any) -> None:
        guard(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(self, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


@pytest.fixture(autouse=True)
def _fresh_live_state_cache() -> Iterator[None]:
    """The composite-state caches are keyed by the newest activation id, and ids are reused
    once a test's transaction rolls back: every test starts with empty caches."""
    from rollout.services.live import live_state_forget

    live_state_forget()
    yield
    live_state_forget()


@dataclass(frozen=True)
class SentTask:
    """A Celery task as the broker would have received it."""

    name: str
    args: tuple[Any, ...]
    eta: datetime | None = None


@pytest.fixture
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> list[SentTask]:
    """Every task sent to the broker (by name from the services, or by a task itself) is
    recorded here instead, in order; nothing reaches a broker."""
    from regions_config.celery import app

    sent: list[SentTask] = []

    def send_task(name: str, args: tuple[Any, ...] | None = None, kwargs: Any = None,
                  countdown: float | None = None, eta: datetime | None = None,
                  **options: Any) -> None:
        sent.append(SentTask(name, tuple(args or ()), eta))

    # Both a task's apply_async and a signature of an unknown task end in app.send_task.
    monkeypatch.setattr(app, "send_task", send_task)
    return sent


@pytest.fixture
def who(db: None) -> Any:
    """One user per role: an editor creates, an approver approves, an operator operates."""
    from tests.rollout_factories import people

    return people()


# In CI, property tests use a fixed seed: a new random counter-example belongs in a developer's
# run (where it is shown and can be fixed), not in a red build of unrelated work.
if os.environ.get("CI"):
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks sent with .delay() run at once in this process (and their errors propagate)."""
    from regions_config.celery import app

    # The app reads Django's settings under the CELERY_ namespace, so these are its keys.
    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_TASK_EAGER_PROPAGATES")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(dict.fromkeys(keys, True))
    assert app.conf.task_always_eager
    yield
    app.conf.update(saved)
