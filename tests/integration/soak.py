"""The soak test's machinery: web processes, an operator driving the REST API, a worker killer.

Everything an operator does goes through the HTTP API of the web processes (round robin), with
Bearer tokens, exactly as a script or a person would; the test reads the database only to
check the outcome.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.helpers import REPO, CeleryWorker, wait_for

REQUEST_SECONDS = 60.0  # a request that hangs this long is a failure, not a slow machine
LAUNCH_ATTEMPTS = 3  # an approval or start refused by a concurrent change is tried again


def _run_script() -> Any:
    """scripts/run.py (the `make run` launcher) as a module: its gunicorn command line."""
    spec = importlib.util.spec_from_file_location("rrm_run_script", REPO / "scripts" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class WebServer:
    """One gunicorn process (one worker) serving the app on its own port, as `make run` starts
    it (scripts/run.py's command line) but with one worker, so each server is one process."""

    def __init__(self, *, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = ["--workers=1" if arg.startswith("--workers=") else arg
                for arg in _run_script().web_command(self.port)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(argv, cwd=REPO, env=self.env,
                                            stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._healthy, timeout=60, what=f"gunicorn on {self.port} to answer /healthz")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {self.log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)


@dataclass
class Api:
    """The REST API over several web processes, one after the other (round robin)."""

    bases: list[str]
    calls: Counter[str] = field(default_factory=Counter)  # "POST /start 200" -> n
    _next: int = 0

    def request(self, method: str, path: str, token: str,
                body: dict[str, Any] | None = None) -> tuple[int, Any]:
        base = self.bases[self._next % len(self.bases)]
        self._next += 1
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{base}/api/v1{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        self.calls[f"{method} {_shape(path)} {status}"] += 1
        assert status < 500, f"{method} {base}/api/v1{path}: {status} {text[:2000]!r}"
        return status, json.loads(text) if text else None


def _shape(path: str) -> str:
    """`/rollouts/12/pause` -> `/rollouts/{id}/pause`, for counting calls by kind."""
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


class WorkerKiller:
    """Every `every` seconds (jittered), SIGKILL one of the running workers at random and start
    a new one in its place (as a supervisor would) without waiting for it: the next kill may
    come while it is still starting, so at times two workers are down at once."""

    def __init__(self, workers: list[CeleryWorker], *, every: float, rng: random.Random) -> None:
        self.workers = workers
        self.every = every
        self.rng = rng
        self.kills = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._restarts: list[threading.Thread] = []
        self._starting: set[int] = set()  # id() of workers being started: not killed then

    def __enter__(self) -> WorkerKiller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in [self._thread, *self._restarts]:
            thread.join(timeout=120)
            assert not thread.is_alive(), "the worker killer did not stop"
        for worker in self.workers:  # every worker up again for the settling that follows
            if not worker.alive:
                worker.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every * self.rng.uniform(0.5, 1.5)):
            running = [w for w in self.workers if w.alive and id(w) not in self._starting]
            if not running:
                continue
            worker = self.rng.choice(running)
            worker.kill()
            self.kills += 1
            self._starting.add(id(worker))
            restart = threading.Thread(target=self._restart, args=(worker,), daemon=True)
            self._restarts.append(restart)
            restart.start()

    def _restart(self, worker: CeleryWorker) -> None:
        try:
            worker.start()
        except BaseException as error:  # reported by the test, not lost in a thread
            self.errors.append(error)
        finally:
            self._starting.discard(id(worker))


@dataclass
class Operators:
    """The people at the API: a planner creates, an approver approves, an operator starts,
    pauses, resumes and rolls back. Counts what the API answered, by action."""

    api: Api
    planner: str  # tokens
    approver: str
    operator: str
    done: Counter[str] = field(default_factory=Counter)  # action -> accepted (200/201)
    refused: Counter[str] = field(default_factory=Counter)  # action -> refused (4xx)
    reasons: Counter[str] = field(default_factory=Counter)  # "action: detail" -> n

    def _act(self, action: str, method: str, path: str, token: str,
             body: dict[str, Any] | None = None) -> Any:
        status, answer = self.api.request(method, path, token, body)
        if status in (200, 201):
            self.done[action] += 1
            return answer
        # A refusal says what and why, and (checked at the end) changed nothing.
        assert status in (409, 422), (action, status, answer)
        assert answer and answer.get("detail"), (action, status, answer)
        self.refused[action] += 1
        self.reasons[f"{action} {status}: {str(answer['detail'])[:100]}"] += 1
        return None

    def launch(self, version: str, regions: tuple[str, ...],
               bake_minutes: float) -> tuple[int | None, bool]:
        """Create, approve and start a rollout, one phase per region: (its id, started?).
        One that was created but refused approval or start is cancelled by its planner."""
        created = self._act("create", "POST", "/rollouts", self.planner, {
            "version": version,
            "phases": [{"regions": [r], "bake_minutes": bake_minutes} for r in regions],
            "gates": [{"kpi": "in_region_pct", "max_regression_pct": 2.0}],
            "on_gate_failure": "rollback"})
        if created is None:
            return None, False
        rollout_id = int(created["id"])
        for action, token in (("approve", self.approver), ("start", self.operator)):
            # "the live network changed while the plan was being checked; try again": they do
            if not any(self._act(action, "POST", f"/rollouts/{rollout_id}/{action}", token)
                       for _attempt in range(LAUNCH_ATTEMPTS)):
                self._act("cancel", "POST", f"/rollouts/{rollout_id}/cancel", self.planner)
                return rollout_id, False
        return rollout_id, True

    def state(self, rollout_id: int) -> str:
        status, answer = self.api.request("GET", f"/rollouts/{rollout_id}", self.operator)
        assert status == 200, (status, answer)
        return str(answer["state"])

    def pause(self, rollout_id: int) -> None:
        self._act("pause", "POST", f"/rollouts/{rollout_id}/pause", self.operator)

    def resume(self, rollout_id: int) -> None:
        self._act("resume", "POST", f"/rollouts/{rollout_id}/resume", self.operator)

    def rollback(self, rollout_id: int) -> None:
        self._act("rollback", "POST", f"/rollouts/{rollout_id}/rollback", self.operator,
                  {"reason": f"soak: one-click rollback of {rollout_id}"})

    def region_rollback(self, region: str, version: str) -> None:
        self._act("region_rollback", "POST", f"/regions/{region}/rollback", self.operator,
                  {"version": version, "reason": f"soak: {region} back to {version}"})


def elapsed(since: float) -> float:
    return time.monotonic() - since
