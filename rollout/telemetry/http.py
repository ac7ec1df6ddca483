"""HTTP request metrics, observed once per request by `rollout.middleware.ObservabilityMiddleware`
and by the /route fast path in front of it (rollout/api/route_wsgi.py).

The `route` label is the URL pattern that matched (e.g. `api/v1/rollouts/<int:rollout_id>`),
never the path itself, so its values are bounded by the URL configuration; requests that match
no pattern are `route="unmatched"`.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("rrm_http_requests", "HTTP requests answered, by method, URL pattern and status",
                   ["method", "route", "status"])
LATENCY = Histogram("rrm_http_request_duration_seconds",
                    "Time to answer an HTTP request, by method and URL pattern",
                    ["method", "route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                             2.5, 5.0, 10.0))

UNMATCHED = "unmatched"
#: the /route fast path's one answer, bound once: labels() per request would cost a lookup
ROUTE_FAST_OK = REQUESTS.labels("GET", "api/v1/route", "200")
ROUTE_FAST_LATENCY = LATENCY.labels("GET", "api/v1/route")


def http_observe(*, method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration."""
    method = method if method in _METHODS else "other"  # a client chooses it: keep it bounded
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
