"""Webhooks: activation and rollback events as HMAC-SHA256-signed JSON POSTs, retried.

Deliveries are rows written in the same transaction as the change they announce, and only sent
after it commits; the sweep re-sends any that are overdue, so a lost task never loses an event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from rollout.models import WebhookDelivery, WebhookSubscription
from rollout.services.audit import audit_record
from rollout.services.roles import Role, require_role

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-RRM-Signature"
MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10


EVENTS = ("activation", "rollback")


class WebhookRefused(ValueError):
    """A subscription request that cannot be accepted (bad URL, secret or event)."""


def webhook_subscribe(*, url: str, secret: str, events: list[str],
                      actor: AbstractBaseUser | None) -> WebhookSubscription:
    """Subscribe another system to events; operators decide who hears about activations."""
    user = require_role(actor, Role.OPERATOR)
    if not url.startswith(("https://", "http://")):
        raise WebhookRefused(f"{url!r} is not an http(s) URL")
    if len(secret) < 16:
        raise WebhookRefused("the secret must be at least 16 characters")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise WebhookRefused(f"unknown events {unknown} (known: {', '.join(EVENTS)})")
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(url=url, secret=secret,
                                                          events=sorted(set(events)),
                                                          created_by=user)
        audit_record(actor=user, action="webhook.subscribed", object_type="webhook",
                     object_id=str(subscription.id), details={"url": url, "events": events})
    return subscription


def webhook_unsubscribe(*, subscription_id: int,
                        actor: AbstractBaseUser | None) -> WebhookSubscription:
    user = require_role(actor, Role.OPERATOR)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(
            id=subscription_id).first()
        if subscription is None:
            raise WebhookRefused(f"no webhook subscription {subscription_id}")
        subscription.active = False
        subscription.save(update_fields=["active"])
        audit_record(actor=user, action="webhook.unsubscribed", object_type="webhook",
                     object_id=str(subscription.id), details={"url": subscription.url})
    return subscription


def webhook_list() -> list[WebhookSubscription]:
    return list(WebhookSubscription.objects.order_by("id"))


def webhook_event(event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue `event` for every active subscription that wants it (call inside the change's
    transaction; sending starts only after the commit)."""
    deliveries = [
        WebhookDelivery.objects.create(subscription=subscription, event=event, payload=payload)
        for subscription in WebhookSubscription.objects.filter(active=True)
        if not subscription.events or event in subscription.events
    ]
    if deliveries:
        ids = [d.id for d in deliveries]
        transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


def _enqueue(ids: list[int]) -> None:
    from rollout.tasks import deliver_webhook

    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Try to send one delivery once. Returns it, or None if it is gone or already settled.

    The row is claimed in one short transaction (the attempt counted, the next attempt pushed
    past the request's timeout as a lease), the POST happens outside any transaction, and the
    outcome is written in a second one: no lock is held while another system answers.
    """
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("subscription")
                    .filter(id=delivery_id, status=WebhookDelivery.Status.PENDING,
                            next_attempt_at__lte=timezone.now()).first())
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=2 * TIMEOUT_SECONDS)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    body = json.dumps({"id": delivery.id, "event": delivery.event,
                       "payload": delivery.payload}, sort_keys=True).encode()
    request = urllib.request.Request(
        delivery.subscription.url, data=body, method="POST",
        headers={"Content-Type": "application/json",
                 SIGNATURE_HEADER: signature(delivery.subscription.secret, body),
                 "X-RRM-Event": delivery.event, "X-RRM-Delivery": str(delivery.id)})
    status: int | None = None
    error = ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except (urllib.error.URLError, OSError, ValueError) as exc:
        status, error = getattr(exc, "code", None), str(exc)[:500] or type(exc).__name__
    with transaction.atomic():
        delivery.response_status = status
        if not error:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
        else:
            delivery.last_error = error
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
            else:
                delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
        delivery.save()
    logger.info("webhook.attempt delivery_id=%s status=%s attempts=%d", delivery.id,
                delivery.status, delivery.attempts)
    return delivery


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s, ... capped at 10 minutes."""
    return timedelta(seconds=min(600, 10 * 2 ** (attempts - 1)))


def due_deliveries() -> list[int]:
    return list(WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now(),
    ).values_list("id", flat=True)[:500])
