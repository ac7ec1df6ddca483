"""Webhook subscriptions, as `manage.py webhook list` shows them."""

from __future__ import annotations

from rollout.models import WebhookSubscription


def webhook_list() -> list[WebhookSubscription]:
    """Every subscription, active or removed, oldest first."""
    return list(WebhookSubscription.objects.order_by("id"))
