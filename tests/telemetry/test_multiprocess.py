"""/metrics under gunicorn with two workers (as `make run` starts it: scripts/run.py's command
line and regions_config/gunicorn_conf.py), in multiprocess mode: whichever worker answers a
scrape, the business metrics are the same and the HTTP counters are the sum of both workers,
and a worker that dies takes none of its counts with it. A real server on a throwaway SQLite
database; slow (~15 s)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.helpers import REPO, wait_for
from tests.integration.soak import _run_script, free_port
from tests.metrics_scrape import Scrape

pytestmark = pytest.mark.slow

BUSINESS = ("rrm_region_live_info", "rrm_live_state_sequence", "rrm_activations_total",
            "rrm_rollbacks_total", "rrm_region_kpi", "rrm_rollout_info")


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def get(url: str, token: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, int, Path]]:
    """(base URL, a viewer's token, gunicorn's master pid, the multiprocess directory): the
    demo live, two workers."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "RRM_LOG_FORMAT")}
    env.update(RRM_VAR_DIR=str(tmp_path / "var"), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
               DJANGO_SETTINGS_MODULE="regions_config.settings")
    manage(env, "migrate", "--noinput")
    manage(env, "demo")
    token = manage(env, "create_token", "scraper", "--role", "viewer").strip().splitlines()[-1]
    port = free_port()
    command = _run_script().web_command(port)
    assert "--workers=2" in command
    with (tmp_path / "gunicorn.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
        with contextlib.suppress(OSError):
            return get(f"{base}/metrics", token)[0] == 200 and len(worker_pids(process.pid)) == 2
        return False

    try:
        wait_for(up, timeout=60, what="gunicorn with two workers to answer /metrics")
        yield base, token, process.pid, metrics_dir
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def business_of(scrape: Scrape) -> dict[str, object]:
    return {name: scrape.samples(name) for name in BUSINESS}


def test_metrics__two_gunicorn_workers__every_scrape_answers_the_same_sums(
        server: tuple[str, str, int, Path]) -> None:
    base, token, master, metrics_dir = server
    # Given 20 API reads spread over the two workers
    for _ in range(20):
        assert get(f"{base}/api/v1/active", token)[0] == 200
    active = {"method": "GET", "route": "api/v1/active", "status": "200"}

    # When Prometheus scrapes ten times (each scrape answered by either worker)
    scrapes = [Scrape(get(f"{base}/metrics", token)[1]) for _ in range(10)]

    # Then every answer has the same business metrics, with the demo's eight live regions
    first = business_of(scrapes[0])
    assert len(first["rrm_region_live_info"]) == 8  # type: ignore[arg-type]
    assert all(business_of(s) == first for s in scrapes[1:])
    # ... and counts all 20 reads, whichever worker served them; the files are per process
    assert {s.value("rrm_http_requests_total", **active) for s in scrapes} == {20}
    pids = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}
    assert {str(pid) for pid in worker_pids(master)} <= pids

    # When a worker dies (gunicorn starts another)
    victim = worker_pids(master)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in worker_pids(master) and len(worker_pids(master)) == 2,
             timeout=30, what="gunicorn to replace the killed worker")

    # Then its counts are still in the sums
    after = Scrape(get(f"{base}/metrics", token)[1])
    assert after.value("rrm_http_requests_total", **active) == 20
    assert business_of(after) == first
