"""`make run`: prepare the embedded setup, then run the web server and Celery workers together.

Steps: `migrate`, `collectstatic`, `ensure_admin`, `demo` (when that command exists), then
start gunicorn, the rollouts' Celery worker with its beat scheduler, a worker of its own for
webhook deliveries and one for simulation and design jobs. Their output is interleaved on this
terminal with a "web |" / "worker |" / "webhooks |" / "jobs |" prefix. (Loading the settings
creates the folders under var/ that they point at, for this and every other entry point.)

Ctrl-C or SIGTERM stops them all (SIGTERM, up to STOP_TIMEOUT seconds, then SIGKILL) and exits
0. If one dies on its own, the others are stopped and the exit status is 1.

The web and Celery processes share a prometheus_client multiprocess directory
(PROMETHEUS_MULTIPROC_DIR, default var/metrics, emptied at each start), so GET /metrics sums
them all.

Environment: PORT (default 8000); every setting of regions_config/settings.py still applies, so
DATABASE_URL or CELERY_BROKER_URL point this at PostgreSQL or Redis instead of the defaults.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 10.0
READY_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h

_print_lock = threading.Lock()


def say(message: str) -> None:
    with _print_lock:
        print(f"run    | {message}", flush=True)


def fail(message: str) -> None:
    say(message)
    sys.exit(1)


def metrics_dir(var_dir: Path) -> Path:
    """The prometheus_client multiprocess directory the web workers and the Celery workers share
    (PROMETHEUS_MULTIPROC_DIR if set, else var/metrics), emptied: a previous run's files would
    be counted again."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or var_dir / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "regions_config.settings")
    env["PYTHONUNBUFFERED"] = "1"  # so the children's lines reach the terminal as they happen
    return env


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run one manage.py command with its output on this terminal; stop here if it fails."""
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(command, cwd=ROOT, env=child_env(), text=True, check=False)
    if result.returncode != 0:
        fail(f"`manage.py {' '.join(args)}` failed with exit status {result.returncode}")
    return result


def known_commands() -> set[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", "help", "--commands"],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        fail("`manage.py help --commands` failed: the project does not load")
    return {line.strip() for line in result.stdout.splitlines() if line.strip()}


def describe_setup() -> tuple[str, str]:
    """(database, broker) for the banner. Loading the settings creates the folders they point
    at (regions_config.env.make_folders), as it does for every other entry point."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regions_config.settings")
    from django.conf import settings  # reading settings loads no app: cheap

    from regions_config.env import settings_or_exit

    settings_or_exit("make run")
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database_label = f"SQLite {database['NAME']}"
    else:
        database_label = f"{database['ENGINE'].rsplit('.', 1)[-1]} {database.get('NAME', '')}"
    scheme, _, rest = settings.CELERY_BROKER_URL.partition("://")
    broker = f"{scheme}://{rest.rsplit('@', 1)[-1]}"  # never print a broker password
    if scheme == "filesystem":
        broker = f"file system {settings.CELERY_BROKER_TRANSPORT_OPTIONS.get('data_folder_in')}"
    return database_label, broker


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def die_with_launcher() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child if this launcher dies, even by SIGKILL.

    The children run in sessions of their own, so nothing else would reach them then. prctl is
    looked up here, in the parent, so that the forked child only calls it.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


class Child:
    """A long-running child in its own session, its output copied line by line with a prefix."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        # Its own session: Ctrl-C reaches only this launcher, which then stops the children in
        # order; and a SIGKILL to the group also reaches gunicorn's and Celery's own workers.
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_launcher(),  # calls one C function: safe after fork
        )
        assert self.process.stdout is not None
        self.reader = threading.Thread(
            target=self._copy_output, args=(self.process.stdout,), daemon=True
        )
        self.reader.start()

    def _copy_output(self, stream: IO[bytes]) -> None:
        prefix = f"{self.name:<6} | "
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            with _print_lock:
                sys.stdout.write(prefix + line + "\n")
                sys.stdout.flush()
        stream.close()

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()

    def kill_group(self) -> None:
        """SIGKILL whatever is left in the child's process group (its own workers included)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def stop_all(children: list[Child]) -> None:
    for child in children:
        child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop within {STOP_TIMEOUT:.0f} s: killing it")
    for child in children:
        child.kill_group()  # leftovers such as pool processes orphaned by a killed parent
        child.process.wait()
        child.reader.join(timeout=2)


def web_command(port: int) -> list[str]:
    # The graceful timeout ends before stop_all's deadline, so requests in flight can finish.
    command = [
        *(sys.executable, "-m", "gunicorn", "regions_config.wsgi"),
        *(f"--bind=127.0.0.1:{port}", "--workers=2", "--access-logfile=-"),
        f"--graceful-timeout={int(STOP_TIMEOUT) - 2}",
        "--config=python:regions_config.gunicorn_conf",  # metrics of exited workers
    ]
    # Newer gunicorn opens a control socket in ~/.gunicorn by default; two local runs on
    # different ports would fight over it, and nothing here uses it.
    known = importlib.import_module("gunicorn.config").KNOWN_SETTINGS
    if any(setting.name == "control_socket_disable" for setting in known):
        command.append("--no-control-socket")
    return command


def worker_command(schedule_file: str) -> list[str]:
    """The rollouts' worker (queue `celery`) with the periodic sweep."""
    return [
        *(sys.executable, "-m", "celery", "-A", "regions_config", "worker", "--beat"),
        *("-Q", "celery", "--hostname=rollouts@%h"),
        *("--loglevel=INFO", "--concurrency=2", f"--schedule={schedule_file}"),
    ]


def webhook_worker_command() -> list[str]:
    """Webhook deliveries on a worker of their own (queue `webhooks`, threads: they wait on
    the network), so a slow receiver never holds a phase back."""
    return [
        *(sys.executable, "-m", "celery", "-A", "regions_config", "worker"),
        *("-Q", "webhooks", "--hostname=webhooks@%h", "--pool=threads", "--concurrency=4"),
        "--loglevel=INFO",
    ]


def job_worker_command() -> list[str]:
    """Simulation and design jobs on a worker of their own (queue `jobs`, one at a time: they
    compute), so a long design never holds a rollout step back."""
    return [
        *(sys.executable, "-m", "celery", "-A", "regions_config", "worker"),
        *("-Q", "jobs", "--hostname=jobs@%h", "--concurrency=1"),
        "--loglevel=INFO",
    ]


def announce_when_ready(port: int, stop: threading.Event) -> None:
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                ready = response.status == 200
        except OSError:
            ready = False
        if ready:
            break
        stop.wait(0.5)
    else:
        return
    say("-" * 72)
    say(f"Region rollout manager is up: {url}/")
    say(f"Log in at {url}/accounts/login/ with the admin login printed above by ensure_admin")
    say("  (shown on the first run only; to set a new password:")
    say("   .venv/bin/python manage.py changepassword admin)")
    say(f"Operator UI: {url}/   Raw data (staff): {url}/admin/   API docs: {url}/api/v1/docs")
    say(f"Health check: {url}/healthz          Stop: Ctrl-C")
    say("-" * 72)


def main() -> int:
    os.chdir(ROOT)
    port_text = os.environ.get("PORT", "8000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        fail(f"PORT={port_text!r} is not a port number")
    port = int(port_text)
    if not port_is_free(port):
        fail(f"port {port} on 127.0.0.1 is in use: stop what holds it, or run PORT=8001 make run")

    database, broker = describe_setup()
    say(f"database: {database}")
    say(f"broker:   {broker}")
    say("migrate")
    manage("migrate", "--noinput")
    say("collectstatic")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    manage("ensure_admin")
    if "demo" in known_commands():
        say("demo: loading the demo network and its versions")
        manage("demo")
    else:
        say("notice: no `demo` command yet; skipping the demo data")

    from django.conf import settings

    say(f"metrics:  {metrics_dir(Path(settings.VAR_DIR))} (GET /metrics)")
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)

    children: list[Child] = []
    died: Child | None = None
    try:
        children.append(Child("web", web_command(port)))
        children.append(
            Child("worker", worker_command(str(settings.CELERY_BEAT_SCHEDULE_FILENAME)))
        )
        children.append(Child("webhooks", webhook_worker_command()))
        children.append(Child("jobs", job_worker_command()))
        threading.Thread(target=announce_when_ready, args=(port, stop), daemon=True).start()
        while died is None and not stop.wait(0.2):
            died = next((c for c in children if c.process.poll() is not None), None)
    finally:
        stop.set()  # also on an error in this launcher: never leave the children running
        if received:
            say(f"{signal.Signals(received[0]).name}: stopping web and workers")
        stop_all(children)

    if died is not None:
        others = ", ".join(c.name for c in children if c is not died) or "nothing"
        say(
            f"{died.name} exited unexpectedly with status {died.process.returncode}; "
            f"stopped {others}"
        )
        return 1
    say("stopped")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C during the set-up steps, before the children start
        say("interrupted")
        sys.exit(130)
