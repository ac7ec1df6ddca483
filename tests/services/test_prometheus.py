"""services/prometheus.py against a local HTTP server that answers as Prometheus's
/api/v1/query does: the query and instant sent, the value read, and every failure (not
configured, unreachable, slow, an error answer, not JSON) a reading without a value."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rollout.services.prometheus import prometheus_kpi_read, prometheus_query
from tests.integration.soak import free_port

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakePrometheus:
    url: str
    asked: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def fake_prometheus(status: int = 200, body: Any = None, *,
                    hold: threading.Event | None = None) -> Iterator[FakePrometheus]:
    """A server answering every GET with `status` and `body` (JSON unless bytes), after
    `hold` is set when given; the query parameters of each request are recorded."""
    asked: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            asked.append({k: v[0] for k, v in query.items()})
            if hold is not None:
                hold.wait(5)
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield FakePrometheus(url=f"http://127.0.0.1:{server.server_address[1]}/", asked=asked)
    finally:
        if hold is not None:
            hold.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _short_timeout(settings: Any) -> None:
    settings.RRM_PROMETHEUS_TIMEOUT_SECONDS = 1


def one(value: str) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector",
                                          "result": [{"metric": {}, "value": [1, value]}]}}


def test_prometheus_kpi_read__one_series__the_regions_value_at_the_instant(settings: Any
                                                                            ) -> None:
    # Given Prometheus answering one series
    with fake_prometheus(body=one("64.5")) as prometheus:
        settings.RRM_PROMETHEUS_URL = prometheus.url

        # When NE's KPI is read at an instant
        reading = prometheus_kpi_read(template='avg(fill{region="$region"})', region="NE",
                                      at=AT)

    # Then its value, from the region's query asked at that instant
    assert reading.ok and reading.value == 64.5
    assert prometheus.asked[0]["query"] == 'avg(fill{region="NE"})'
    assert float(prometheus.asked[0]["time"]) == AT.timestamp()
    assert prometheus.asked[0]["timeout"] == "1s"


@pytest.mark.parametrize(("status", "body", "why"), [
    (200, one("NaN"), "NaN"),
    (200, {"status": "success", "data": {"resultType": "vector", "result": []}}, "empty"),
    (400, {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"},
     "bad_data: parse error"),
    (503, b"<html>down</html>", "HTTP 503"),
    (200, b"not json", "not JSON"),
])
def test_prometheus_query__unusable_answer__no_value_and_why(settings: Any, status: int,
                                                             body: Any, why: str) -> None:
    with fake_prometheus(status, body) as prometheus:
        settings.RRM_PROMETHEUS_URL = prometheus.url
        reading = prometheus_query(query="up", at=AT)
    assert not reading.ok and why in reading.error


def test_prometheus_query__slower_than_the_timeout__no_value_says_so(settings: Any) -> None:
    # Given Prometheus that does not answer in time
    with fake_prometheus(body=one("1"), hold=threading.Event()) as prometheus:
        settings.RRM_PROMETHEUS_URL = prometheus.url
        reading = prometheus_query(query="up", at=AT)
    assert not reading.ok and "within 1 s" in reading.error


def test_prometheus_query__nobody_listening__unreachable(settings: Any) -> None:
    settings.RRM_PROMETHEUS_URL = f"http://127.0.0.1:{free_port()}"
    reading = prometheus_query(query="up", at=AT)
    assert not reading.ok and reading.error.startswith("Prometheus unreachable")


def test_prometheus_query__not_configured__no_value_says_so(settings: Any) -> None:
    settings.RRM_PROMETHEUS_URL = ""
    assert prometheus_query(query="up", at=AT).error == "RRM_PROMETHEUS_URL is not set"
