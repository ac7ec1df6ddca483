"""gunicorn servers and wrk runs for bench/api_load.py, all on 127.0.0.1 and bounded in time.

Each gunicorn is started in a session of its own (so a Ctrl-C in the terminal does not reach
it half-way) and stopped by `Server.stop`: SIGTERM to its master, then SIGKILL to its process
group if it has not exited within a few seconds. `servers()` stops every server it started on
any exit, including KeyboardInterrupt and SIGTERM.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GUNICORN = REPO / ".venv" / "bin" / "gunicorn"
LUA = Path(__file__).resolve().parent / "api_wrk.lua"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    app: str
    env: dict[str, str]
    log: Path
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def argv(self) -> list[str]:
        return [str(GUNICORN), self.app, "-w", str(self.workers), "-b", f"{HOST}:{self.port}"]

    def start(self, ready_path: str) -> None:
        """Start gunicorn and wait until `ready_path` answers (any status below 500)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.argv, cwd=REPO, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited with status "
                                   f"{self.process.returncode}; see {self.log}")
            try:
                status, _, _ = self.get(ready_path, timeout=5)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: not answering after {READY_TIMEOUT_S:.0f} s; "
                           f"see {self.log}")

    def get(self, target: str, headers: dict[str, str] | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        return request(self.port, "GET", target, headers=headers, timeout=timeout)

    def worker_pids(self) -> list[int]:
        """The master's children (gunicorn's workers), from /proc."""
        if self.process is None:
            return []
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the session we created for it
            process.wait(timeout=STOP_GRACE_S)


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """(user, system) CPU seconds the processes `pids` have used so far, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        user += int(fields[11]) / tick  # utime, field 14 of proc(5)
        system += int(fields[12]) / tick  # stime, field 15
    return user, system


def machine_cpu() -> dict[str, float]:
    """Machine-wide CPU seconds so far, from the first line of /proc/stat: "task" (user, nice,
    system: what processes ran), "irq" (irq, softirq: where loopback TCP work mostly lands),
    "steal" (taken by the hypervisor) and "idle" (idle, iowait)."""
    tick = os.sysconf("SC_CLK_TCK")
    values = [int(v) / tick for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
    return {"task": user + nice + system, "irq": irq + softirq, "steal": steal,
            "idle": idle + iowait}


def wait_for_quiet(max_wait_s: float = 30.0, busy_below: float = 0.10) -> float:
    """Wait (at most `max_wait_s`) for a one-second window in which the CPUs are less than
    `busy_below` busy; our servers are idle then, so any load is someone else's. Returns the
    busy share of the last window."""
    cpus = os.cpu_count() or 1
    deadline = time.monotonic() + max_wait_s
    while True:
        before = machine_cpu()
        time.sleep(1.0)
        after = machine_cpu()
        busy = sum(after[k] - before[k] for k in ("task", "irq", "steal")) / cpus
        if busy < busy_below or time.monotonic() >= deadline:
            return busy


def request(port: int, method: str, target: str, *, body: bytes | None = None,
            headers: dict[str, str] | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection: (status, headers, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def servers(*items: Server) -> Iterator[tuple[Server, ...]]:
    """Yield the servers (not started); stop every one that was started on any exit."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield items
    finally:
        for server in items:
            server.stop()
        signal.signal(signal.SIGTERM, previous)


# ---- wrk ---------------------------------------------------------------------------------


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk(port: int, *, token: str, path: str, zones_file: Path | None = None,
        if_none_match: str = "", seconds: float = 10, connections: int = 32,
        threads: int = 2, server_pids: list[int] | None = None) -> dict[str, Any]:
    """One wrk run; its summary with req/s and latencies in seconds added, and the CPU time
    wrk and (with `server_pids`) the server's processes used during it."""
    binary = wrk_path()
    if binary is None:
        raise RuntimeError("wrk is not installed")
    argv = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s",
            "-s", str(LUA), f"http://{HOST}:{port}", "--", token, path,
            str(zones_file) if zones_file else "-", if_none_match]
    pids = server_pids or []
    machine_before = machine_cpu()
    server_before = cpu_seconds(pids)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60,
                            check=False, stdin=subprocess.DEVNULL)
    # wrk is the only child reaped meanwhile, so the children's usage grew by exactly its own.
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = cpu_seconds(pids)
    machine_after = machine_cpu()
    lines = [line for line in result.stdout.splitlines() if line.startswith("WRK-JSON ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    summary: dict[str, Any] = json.loads(lines[-1].removeprefix("WRK-JSON "))
    duration_s = summary["duration_us"] / 1e6
    latency = summary["latency_us"]
    summary.update(
        seconds=duration_s, connections=connections, threads=threads,
        rps=summary["requests"] / duration_s if duration_s else 0.0,
        errors_total=sum(summary["errors"].values()),
        p50_s=latency["p50"] / 1e6, p90_s=latency["p90"] / 1e6, p99_s=latency["p99"] / 1e6,
        max_s=latency["max"] / 1e6, mean_s=latency["mean"] / 1e6,
        wrk_cpu_s=(children_after.ru_utime - children_before.ru_utime
                   + children_after.ru_stime - children_before.ru_stime),
        server_user_s=server_after[0] - server_before[0],
        server_system_s=server_after[1] - server_before[1])
    requests = max(1, summary["requests"])
    cpus = os.cpu_count() or 1
    capacity = duration_s * cpus if duration_s else 1.0
    ours = summary["server_user_s"] + summary["server_system_s"] + summary["wrk_cpu_s"]
    machine = {k: machine_after[k] - machine_before[k] for k in machine_after}
    # Others: processes' CPU time that was neither the server's nor wrk's (the other tests,
    # builds, ... on a shared machine), plus the hypervisor's steal. Only meaningful with
    # `server_pids`.
    summary.update(
        others_cpu_share=max(0.0, machine["task"] - ours + machine["steal"]) / capacity,
        irq_cpu_share=machine["irq"] / capacity,
        idle_cpu_share=machine["idle"] / capacity)
    summary.update(
        server_cpu_per_request_s=(summary["server_user_s"] + summary["server_system_s"])
        / requests,
        wrk_cpu_per_request_s=summary["wrk_cpu_s"] / requests,
        cpu_busy=(summary["server_user_s"] + summary["server_system_s"] + summary["wrk_cpu_s"])
        / (duration_s * (os.cpu_count() or 1)) if duration_s else 0.0)
    return summary
