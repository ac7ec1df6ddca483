"""Processes and services for the integration tests: the Celery worker, the broker, waiting.

Every wait is bounded: a test that waits for something that never happens fails with what it
was waiting for and the end of the worker's log, instead of hanging.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import quote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]

PYTHON = sys.executable  # the interpreter running the tests: the same environment

WORKER_READY_SECONDS = 60.0
WORKER_STOP_SECONDS = 10.0
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "{port}",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]

T = TypeVar("T")


def services_skip_reason() -> str | None:
    """Why the integration tests cannot run here, or None when they can."""
    database = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not database.startswith(("postgres://", "postgresql://", "pgsql://")):
        return ("integration tests need a real PostgreSQL: set DATABASE_URL=postgres://... "
                f"(it is {'unset' if not database else 'not PostgreSQL'}; `.ci/run` sets it)")
    if not broker or broker.startswith(("filesystem://", "memory://")):
        shown = broker.split("://", 1)[0] + "://" if broker else "unset"
        return ("integration tests need a real broker: set CELERY_BROKER_URL=redis://... or "
                f"amqp://... (it is {shown}; `.ci/run` sets it)")
    return None


def worker_database_url() -> str:
    """DATABASE_URL for pytest-django's test database (`test_<name>`), for other processes.

    Call it with database access enabled: only then does the connection name the test database.
    """
    from django.db import connection

    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        credentials += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    at = f"{credentials}@" if credentials else ""
    return f"postgres://{at}{host}{port}/{quote(s['NAME'], safe='')}"


def broker_purge(broker_url: str) -> int:
    """Empty the `celery` queue (and, on Redis, the unacknowledged set) before a worker starts."""
    from regions_config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=3)
        purged = app.control.purge(connection=conn) or 0
    if broker_url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(broker_url)
        try:
            purged += client.delete("unacked", "unacked_index", "unacked_mutex")
        finally:
            client.close()
    return purged


class CeleryWorker:
    """`celery -A regions_config worker --beat --pool=solo` as a child process group.

    The embedded beat is a child process of the worker, so the whole group is signalled:
    a SIGKILL takes both down, as a crashed machine would.
    """

    def __init__(self, *, env: dict[str, str], log_dir: Path, beat: bool = True) -> None:
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        self.beat = beat
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_path = log_dir / "worker-0.log"
        self.hostname = f"rrm-it-{uuid.uuid4().hex[:8]}@%h"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = WORKER_READY_SECONDS) -> None:
        """Start the worker and wait until it says it is ready to consume."""
        assert not self.alive, "the worker is already running"
        self.starts += 1
        self.log_path = self.log_dir / f"worker-{self.starts}.log"
        argv = [PYTHON, "-m", "celery", "-A", "regions_config", "worker",
                *(["--beat"] if self.beat else []), "--pool=solo", "--concurrency=1",
                "-Q", "celery,jobs", "--loglevel=INFO", "--hostname", self.hostname]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(argv, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        wait_for(lambda: " ready." in self.log(), timeout=timeout,
                 what=f"the Celery worker to be ready (start #{self.starts})", worker=self)

    def kill(self) -> None:
        """SIGKILL the worker and its beat: no shutdown, no acknowledgements, no clean-up."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=WORKER_STOP_SECONDS)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM); SIGKILL if it takes longer than WORKER_STOP_SECONDS."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=WORKER_STOP_SECONDS)
        # The beat child may outlive the worker: the group goes in every case.
        self._signal_group(signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=WORKER_STOP_SECONDS)

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


def wait_for(condition: Callable[[], T | None], *, timeout: float, what: str,
             worker: CeleryWorker | None = None, interval: float = 0.1) -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if worker is not None and worker.process is not None and not worker.alive:
            raise AssertionError(f"the worker exited (status {worker.process.returncode}) "
                                 f"while waiting for {what}:\n{worker.tail()}")
        if time.monotonic() > deadline:
            log = f"\n--- worker log ({worker.log_path}) ---\n{worker.tail()}" if worker else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{log}")
        time.sleep(interval)


@contextlib.contextmanager
def celery_worker_running(args: list[str], *, env: dict[str, str],
                          log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`celery -A regions_config worker ARGS` in its own process group, its output in
    `log_path`, once it says it is ready; SIGKILLed with its pool when the block ends."""
    argv = [PYTHON, "-m", "celery", "-A", "regions_config", "worker", *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: " ready." in log_path.read_text(errors="replace"),
                 timeout=WORKER_READY_SECONDS, what=f"the worker ({' '.join(args)}) to be ready")
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=WORKER_STOP_SECONDS)


class RedisServer:
    """The Redis on the broker URL's port: stop it (no save) and start it again."""

    def __init__(self, broker_url: str) -> None:
        parts = urlsplit(broker_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379

    def ping(self) -> bool:
        result = subprocess.run(["redis-cli", "-h", self.host, "-p", str(self.port), "ping"],
                                capture_output=True, text=True, timeout=5, check=False)
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-h", self.host, "-p", str(self.port), "shutdown", "nosave"],
                       capture_output=True, timeout=10, check=False)
        wait_for(lambda: not self.ping(), timeout=10, what=f"Redis on {self.port} to stop")

    def start(self) -> None:
        if self.ping():
            return
        Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
        Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
        argv = [part.format(port=self.port) for part in REDIS_START]
        subprocess.run(argv, capture_output=True, timeout=10, check=False)
        wait_for(self.ping, timeout=20, what=f"Redis on {self.port} to answer PING")


class StoppableServer(Protocol):
    def stop(self) -> None: ...
    def start(self) -> None: ...


def or_skip(service: T | str) -> T:
    """The service a test controls, or skip the test with the reason it cannot."""
    if isinstance(service, str):
        pytest.skip(service)
    return service


def broker_controllable(broker_url: str) -> StoppableServer | str:
    """The local broker (Redis or RabbitMQ) this test may stop and start, or why it cannot."""
    if broker_url.startswith(("amqp://", "pyamqp://")):
        return rabbitmq_controllable(broker_url)
    return redis_controllable(broker_url) or RedisServer(broker_url)


def redis_controllable(broker_url: str) -> str | None:
    """Why this test cannot stop and restart the broker, or None when it can."""
    if not broker_url.startswith("redis://"):
        scheme = broker_url.split("://", 1)[0]
        return f"stopping the broker is implemented for Redis and RabbitMQ (it is {scheme})"
    return not_local("Redis", broker_url, ("redis-server", "redis-cli"), needs_root=False)


def not_local(service: str, url: str, tools: tuple[str, ...], *,
              needs_root: bool = True) -> str | None:
    """Why this test cannot control the service at `url` with `tools`, or None when it can."""
    host = urlsplit(url).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        return f"{service} at {host} is not on this machine"
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not on PATH"
    if needs_root and os.geteuid() != 0:
        return f"controlling {service} needs root"
    return None


class PostgresServer:
    """The local PostgreSQL cluster behind DATABASE_URL: take it away for a few seconds.

    Other engineers and CI steps may share the server: keep every outage to a few seconds.
    """

    def __init__(self, version: str, cluster: str, port: int) -> None:
        self.version = version
        self.cluster = cluster
        self.port = port

    def ready(self) -> bool:
        result = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                                capture_output=True, timeout=10, check=False)
        return result.returncode == 0

    def _ctl(self, action: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.cluster,
                        action, *(["-m", "fast"] if action == "stop" else [])],
                       capture_output=True, timeout=60, check=True)

    def outage(self, seconds: float) -> float:
        """Stop the cluster (fast: every connection is cut), stay down `seconds`, start it
        again; returns how many seconds it refused connections."""
        started = time.monotonic()
        try:
            self._ctl("stop")
            time.sleep(seconds)
        finally:
            self._ctl("start")
            wait_for(self.ready, timeout=30, what="PostgreSQL to accept connections again")
        return time.monotonic() - started


def postgres_controllable(database_url: str) -> PostgresServer | str:
    """The local cluster this test may restart, or why it cannot."""
    reason = not_local("PostgreSQL", database_url, ("pg_ctlcluster", "pg_isready", "pg_lsclusters"))
    if reason:
        return reason
    port = urlsplit(database_url).port or 5432
    listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True,
                            timeout=10, check=False).stdout
    for line in listed.splitlines():  # "15 main 5432 online postgres /var/lib/... /var/log/..."
        fields = line.split()
        if len(fields) >= 4 and fields[2] == str(port) and fields[3] == "online":
            return PostgresServer(fields[0], fields[1], port)
    return f"no online PostgreSQL cluster on port {port} in pg_lsclusters"


class RabbitMQServer:
    """The local RabbitMQ: stop and start its application (every connection is cut; durable
    queues and persistent messages stay), and lower its acknowledgement timeout for a test."""

    def _ctl(self, *args: str) -> str:
        result = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True,
                                timeout=60, check=True)
        return result.stdout.strip()

    def _eval(self, expression: str) -> str:
        return self._ctl("eval", expression)

    def listening(self) -> bool:
        result = subprocess.run(["rabbitmq-diagnostics", "-q", "check_port_listener", "5672"],
                                capture_output=True, timeout=30, check=False)
        return result.returncode == 0

    def stop(self) -> None:
        self._ctl("stop_app")
        wait_for(lambda: not self.listening(), timeout=30, what="RabbitMQ to stop listening")

    def start(self) -> None:
        self._ctl("start_app")
        wait_for(self.listening, timeout=60, what="RabbitMQ to listen on 5672 again")

    @contextlib.contextmanager
    def short_ack_timeout(self, seconds: float) -> Iterator[None]:
        """RabbitMQ closes the channel of a consumer that holds a delivery unacknowledged for
        longer than consumer_timeout (30 min by default), checked on each channel tick (60 s).
        Both are read when a channel opens: a worker started inside this block gets them."""
        keys = ("consumer_timeout", "channel_tick_interval")
        saved = {key: self._eval(f"application:get_env(rabbit, {key}).") for key in keys}
        try:
            self._eval(f"application:set_env(rabbit, consumer_timeout, {int(seconds * 1000)}).")
            self._eval("application:set_env(rabbit, channel_tick_interval, 500).")
            yield
        finally:
            for key, value in saved.items():  # "{ok,1800000}", or "undefined"
                if value.startswith("{ok,"):
                    self._eval(f"application:set_env(rabbit, {key}, {value[4:-1]}).")
                else:
                    self._eval(f"application:unset_env(rabbit, {key}).")


def rabbitmq_controllable(broker_url: str) -> RabbitMQServer | str:
    """The local RabbitMQ this test may reconfigure, or why it cannot."""
    if not broker_url.startswith(("amqp://", "pyamqp://")):
        scheme = broker_url.split("://", 1)[0]
        return f"the broker is {scheme}, not RabbitMQ"
    return not_local("RabbitMQ", broker_url, ("rabbitmqctl", "rabbitmq-diagnostics")) or \
        RabbitMQServer()
