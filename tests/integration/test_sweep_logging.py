"""The periodic sweep in a real `celery worker --beat` logs only when it does something (issue
12: three lines every 5 s, beat's "Sending due task", the worker's "received" and "succeeded").
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from rollout.models import WebhookDelivery, WebhookSubscription
from tests.integration.helpers import CeleryWorker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_sweep__worker_with_beat_and_nothing_due__silent_until_it_sends_something(
        worker: CeleryWorker) -> None:
    # Given a worker with its scheduler sweeping every second, and nothing due
    time.sleep(3)  # a few sweeps (not a timed assertion: it only lets them happen)
    quiet = worker.log()

    # When a webhook delivery falls due (its receiver is a closed port: it will fail)
    subscription = WebhookSubscription.objects.create(url="http://127.0.0.1:9/hook", secret="s")
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event="activation", payload={},
        next_attempt_at=timezone.now() - timedelta(seconds=1))

    # Then the sweep says it sent it, in one line
    line = f"rollout.sweep due=- webhooks={delivery.id} simulations=- designs=-"
    wait_for(lambda: line in worker.log(), timeout=30, what="the sweep's line", worker=worker)
    # and before, with nothing due, nothing at all was logged about the sweep after start-up
    # (the start-up banner lists the task names)
    after_start = quiet.split(" ready.", 1)[1]
    assert "rollout.sweep" not in after_start and "rollout-sweep" not in after_start, \
        after_start[-2000:]
    # nor about its run that sent the delivery, beyond its own line
    log = worker.log().split(" ready.", 1)[1]
    assert "Sending due task rollout-sweep" not in log and "rollout.sweep[" not in log
