"""GET /metrics (rollout/api/metrics.py): who may scrape it, and the business metrics' names,
labels and values after real activity through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rollout.models import Activation, Phase, Rollout, WebhookDelivery
from rollout.services.activations import region_rollback
from rollout.services.engine import rollout_advance
from rollout.services.kpis import kpi_observation_record
from rollout.services.roles import Role, role_grant
from rollout.services.rollbacks import rollout_rollback
from rollout.services.rollouts import GatePlan
from rollout.services.tokens import token_create, tokens_forget
from rollout.services.webhooks import webhook_deliver, webhook_subscribe
from tests.api.helpers import ApiClient, Tokens
from tests.factories import user_factory
from tests.metrics_scrape import Scrape
from tests.rollout_factories import (
    Clock,
    People,
    make_live,
    original_version,
    rerouted_version,
    rollout_factory,
)
from tests.services.test_webhooks import receiver

pytestmark = pytest.mark.django_db

SECRET = "a-secret-of-16-chars"
ROLES = ("viewer", "editor", "approver", "operator", "observer")


def scrape(token: str | None = None) -> Scrape:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return Scrape(response.content.decode())


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic dXNlcjpwdw==", "Bearer "])
def test_metrics__no_valid_token__401_with_json_detail(header: str | None) -> None:
    # Given no token, a wrong one, another scheme, an empty one
    headers = {"Authorization": header} if header is not None else {}

    # When Prometheus scrapes
    response = Client().get("/metrics", headers=headers)

    # Then 401, saying what is needed
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer <token>" in response.json()["detail"]


@pytest.mark.parametrize("role", ROLES)
def test_metrics__token_of_any_role__200_prometheus_text(role: str, tokens: Tokens) -> None:
    # Given a token of each role; When it scrapes; Then it gets the metrics
    assert "rrm_live_state_sequence" in scrape(tokens.of(role)).names()


def test_metrics__token_whose_user_lost_every_role__403() -> None:
    # Given a viewer's token, and then every role taken from the viewer (the cache's time up)
    former = user_factory("former-viewer")
    role_grant(user=former, role=Role.VIEWER)
    _, token = token_create(user=former, role=Role.VIEWER)
    former.groups.clear()
    tokens_forget()

    # When it scrapes
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {token}"})

    # Then it is refused, as the API refuses it
    assert response.status_code == 403
    assert "viewer" in response.json()["detail"]


def test_metrics__public_setting__200_without_token(settings: pytest.FixtureRequest) -> None:
    # Given RRM_METRICS_PUBLIC=true
    settings.RRM_METRICS_PUBLIC = True  # type: ignore[attr-defined]

    # When scraped without a token; Then it answers
    assert "rrm_region_live_info" in scrape().names()


def test_metrics__post__405() -> None:
    assert Client().post("/metrics").status_code == 405


def test_metrics__after_rollouts_rollbacks_gates_and_webhooks__counted_by_kind(
        who: People, tokens: Tokens, settings: pytest.FixtureRequest) -> None:
    # Given the original live in NE, MA, SE and a webhook subscriber
    settings.RRM_WEBHOOK_ALLOW_PRIVATE = True  # type: ignore[attr-defined]
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    webhook_subscribe(url="http://127.0.0.1:9/hook", secret=SECRET, events=[], actor=who.operator)
    clock = Clock()
    # ... a rollout whose gate fails on an observed regression: it rolls back by itself
    failing = rollout_factory(rerouted, ["NE"], ["MA", "SE"], who=who, state="running",
                              bake_minutes=30, gates=[GatePlan("in_region_pct", 2.0)])
    rollout_advance(rollout_id=failing.id, now=clock.now)
    kpi_observation_record(region="NE", values={"in_region_pct": 50.0},
                           observed_at=clock.advance(10), source_system="monitoring")
    rollout_advance(rollout_id=failing.id, now=clock.advance(30))
    # ... a rollout that completes its first phase and is rolled back by an operator
    manual = rollout_factory(rerouted, ["MA"], ["SE"], who=who, state="running", bake_minutes=0)
    rollout_advance(rollout_id=manual.id, now=clock.advance(1))
    rollout_rollback(rollout_id=manual.id, actor=who.operator, reason="back out")
    # ... a region rolled back alone, and a draft left waiting
    region_rollback(region="SE", version=rerouted, reason="try SE", actor=who.operator)
    draft = rollout_factory(rerouted, ["NE"], who=who)

    # When Prometheus scrapes
    metrics = scrape(tokens.viewer)

    # Then the live map, the sequence and the rollouts not finished are there
    assert metrics.by("rrm_region_live_info", "region") == {"NE": 1, "MA": 1, "SE": 1}
    assert metrics.value("rrm_region_live_info", region="SE", version=rerouted.id) == 1
    assert metrics.value("rrm_live_state_sequence") == Activation.objects.latest("id").id
    assert metrics.samples("rrm_rollout_info") == {
        frozenset({("rollout", str(draft.id)), ("version", rerouted.id), ("state", "draft")}): 1}
    # ... activations and rollbacks by kind
    assert metrics.by("rrm_activations_total", "kind") == {
        "activate": 3 + 1 + 1, "rollback": 1 + 1, "region_rollback": 1}
    assert metrics.by("rrm_rollbacks_total", "kind") == {
        "one_click": 1, "automatic": 1, "region": 1}
    # ... the gates judged at the failing rollout's bake end (NE failed)
    assert metrics.value("rrm_gate_evaluations_total", kpi="in_region_pct", result="fail") == 1
    # ... the KPIs: simulated for every region, observed for NE
    assert metrics.value("rrm_region_kpi", region="NE", kpi="in_region_pct",
                         source="observed") == 50.0
    assert metrics.value("rrm_region_kpi", region="MA", kpi="trucks",
                         source="simulation") is not None
    # ... phases that ended (two rolled back, one completed) and the approvals' waits
    assert metrics.value("rrm_phase_duration_seconds_count") == 2
    assert metrics.value("rrm_approval_wait_seconds_count") == 2
    # ... webhook deliveries still pending (nobody delivered them yet)
    pending = metrics.value("rrm_webhook_deliveries_total", result="pending")
    assert pending is not None and pending > 0
    assert metrics.value("rrm_webhook_deliveries_total", result="delivered") == 0


def test_metrics__delivery_to_a_receiver__counted_delivered(who: People, tokens: Tokens,
                                                            settings: pytest.FixtureRequest
                                                            ) -> None:
    # Given a subscriber on this machine and an activation announced to it
    settings.RRM_WEBHOOK_ALLOW_PRIVATE = True  # type: ignore[attr-defined]
    make_live(original_version())
    with receiver() as hook:
        webhook_subscribe(url=hook.url, secret=SECRET, events=[], actor=who.operator)
        region_rollback(region="NE", version=rerouted_version(), reason="go", actor=who.operator)
        # When the delivery is sent (as the worker would)
        for delivery in WebhookDelivery.objects.all():
            webhook_deliver(delivery_id=delivery.id)

    # Then the scrape counts it delivered
    assert scrape(tokens.viewer).value("rrm_webhook_deliveries_total", result="delivered") == 1


def test_metrics__histograms__cumulative_buckets_of_the_durations(who: People,
                                                                   tokens: Tokens) -> None:
    # Given two phases that took 2 minutes and 3 hours, and approvals 30 s and 2 days after
    make_live(original_version())
    first = rollout_factory(rerouted_version(), ["NE"], who=who, state="approved")
    second = rollout_factory(rerouted_version(), ["MA"], who=who, state="approved")
    for rollout, approval, took in ((first, timedelta(seconds=30), timedelta(minutes=2)),
                                    (second, timedelta(days=2), timedelta(hours=3))):
        Rollout.objects.filter(id=rollout.id).update(approved_at=rollout.created_at + approval)
        start = rollout.created_at
        Phase.objects.filter(rollout=rollout).update(activated_at=start, finished_at=start + took)

    # When scraped
    metrics = scrape(tokens.viewer)

    # Then each bucket counts the durations at most its bound, and the sum is theirs
    phase = metrics.by("rrm_phase_duration_seconds_bucket", "le")
    assert (phase["60.0"], phase["300.0"], phase["7200.0"], phase["14400.0"], phase["+Inf"]) \
        == (0, 1, 1, 2, 2)
    assert metrics.value("rrm_phase_duration_seconds_sum") == pytest.approx(120 + 3 * 3600)
    wait = metrics.by("rrm_approval_wait_seconds_bucket", "le")
    assert (wait["60.0"], wait["86400.0"], wait["259200.0"]) == (1, 1, 2)


def test_metrics__many_rows__a_bounded_number_of_queries(who: People, tokens: Tokens) -> None:
    # Given some history (activations, rollbacks, snapshots), and the token already checked
    make_live(original_version())
    region_rollback(region="NE", version=rerouted_version(), reason="r", actor=who.operator)
    scrape(tokens.viewer)

    # When scraped again
    with CaptureQueriesContext(connection) as queries:
        scrape(tokens.viewer)

    # Then twelve queries at most (selectors/metrics.py), plus the token's own check
    assert len(queries) <= 12 + 3, [q["sql"] for q in queries]


def test_metrics__requests__counted_by_url_pattern_and_status(
        as_role: Callable[[str], ApiClient], tokens: Tokens) -> None:
    # Given a few API calls
    before = scrape(tokens.viewer).value(
        "rrm_http_requests_total", method="GET", route="api/v1/rollouts/<rollout_id>",
        status="404") or 0
    for _ in range(3):
        as_role("viewer").get("/rollouts/999999")

    # When scraped; Then they are counted under their URL pattern, not their path
    after = scrape(tokens.viewer)
    assert after.value("rrm_http_requests_total", method="GET",
                       route="api/v1/rollouts/<rollout_id>", status="404") == before + 3
    assert after.value("rrm_http_request_duration_seconds_count", method="GET",
                       route="api/v1/rollouts/<rollout_id>") is not None


@pytest.mark.django_db(transaction=True)
def test_metrics__route_fast_path__counted_like_the_others(tokens: Tokens) -> None:
    # Given GET /route answered in front of Django's middleware (its first answer comes from
    # Django, which teaches the fast path its headers)
    from rollout.api.route_wsgi import RouteFastPath
    from tests.api.test_route_wsgi import Recording, bearer, call

    make_live(original_version(), ["NE", "MA"])
    django = Recording()
    app = RouteFastPath(django)
    route = {"method": "GET", "route": "api/v1/route", "status": "200"}
    before = scrape(tokens.viewer).value("rrm_http_requests_total", **route) or 0

    # When the order-routing service asks three times
    for _ in range(3):
        assert call(app, "GET", "/api/v1/route", {"zone": "070"},
                    **bearer(tokens.viewer)).status == "200 OK"

    # Then all three are counted: one by the middleware (Django answered), two by the fast path
    assert django.calls == 1
    assert scrape(tokens.viewer).value("rrm_http_requests_total", **route) == before + 3
