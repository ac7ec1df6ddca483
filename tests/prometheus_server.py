"""A real Prometheus server for tests (Debian's `prometheus` binary), scraping every second an
exporter the test controls: a prometheus_client registry served by a thread on a free port.

`prometheus_or_skip()` gives the binary's path or skips the test saying why. Each server has its
own temporary config and data directory and listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import MetricsHandler

from tests.integration.soak import free_port

#: how long a test waits for Prometheus to start or to show a value it was given
WAIT_SECONDS = 60.0


def prometheus_or_skip() -> str:
    """The prometheus binary, or skip: the gate tests need a real server."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("the prometheus binary is not installed (Debian: apt-get install -y "
                    "prometheus; .ci/run installs it)")
    return binary


@dataclass
class Exporter:
    """Gauges a test sets per region, served in the Prometheus text format."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(
        auto_describe=True))
    server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        self.in_region = Gauge("rrm_test_in_region_pct", "in-region share, per region",
                               ["region"], registry=self.registry)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0),
                                          MetricsHandler.factory(self.registry))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def target(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class PrometheusServer:
    """One Prometheus process scraping `exporter` every second."""

    def __init__(self, binary: str, exporter: Exporter, home: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home.mkdir(parents=True, exist_ok=True)
        config = home / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: exporter\n"
            f"    static_configs: [{{targets: ['{exporter.target}']}}]\n")
        self._log = (home / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={home / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready(home)

    def _wait_ready(self, home: Path) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("prometheus exited: "
                                   + (home / "prometheus.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"prometheus not ready within {WAIT_SECONDS} s")

    def series(self, query: str) -> list[dict[str, Any]] | None:
        """The query's result now (None: not answered)."""
        address = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
        try:
            with urllib.request.urlopen(address, timeout=2) as answer:
                result: list[dict[str, Any]] = json.loads(answer.read())["data"]["result"]
        except (urllib.error.URLError, OSError, KeyError, ValueError):
            return None
        return result

    def value(self, query: str) -> float | None:
        """The query's single value now (None: no series, or not answered)."""
        result = self.series(query)
        return float(result[0]["value"][1]) if result and len(result) == 1 else None

    def wait_gone(self, query: str) -> None:
        """Until the query matches no series (Prometheus marked it stale after a scrape)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.series(query) == []:
                return
            time.sleep(0.2)
        raise AssertionError(f"Prometheus still answers {query}: {self.series(query)}")

    def wait_for(self, query: str, expected: float) -> None:
        """Until the query answers `expected` (NaN matches NaN): the exporter was scraped."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            seen = self.value(query)
            if seen is not None and (seen == expected
                                     or (math.isnan(expected) and math.isnan(seen))):
                return
            time.sleep(0.2)
        raise AssertionError(f"Prometheus never answered {expected} for {query} "
                             f"(last: {self.value(query)})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
