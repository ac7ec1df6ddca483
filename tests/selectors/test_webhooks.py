"""Webhook subscriptions as `manage.py webhook list` shows them."""

from __future__ import annotations

import pytest

from rollout.models import WebhookSubscription
from rollout.selectors.webhooks import webhook_list

pytestmark = pytest.mark.django_db


def test_webhook_list__active_and_removed__all_oldest_first() -> None:
    first = WebhookSubscription.objects.create(url="https://a.example/hook", secret="s" * 16)
    removed = WebhookSubscription.objects.create(url="https://b.example/hook", secret="s" * 16,
                                                 active=False)
    assert webhook_list() == [first, removed]
