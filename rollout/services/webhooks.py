"""Webhooks: activation and rollback events as HMAC-SHA256-signed JSON POSTs, retried.

Deliveries are rows written in the same transaction as the change they announce, and only sent
after it commits, by tasks on their own queue (`webhooks`), so a slow or dead receiver never
holds a rollout back; the sweep re-sends any that are overdue, so a lost task never loses an
event.

Where a delivery may go: see `rollout.services.webhook_http` (public addresses only unless
RRM_WEBHOOK_ALLOW_PRIVATE; checked when subscribing and again at every attempt; no redirects).

The signature (header `X-RRM-Signature`): `t=<unix seconds>,v1=<hex HMAC-SHA256>` where the HMAC
is keyed with the subscription's secret over `"<t>." + body`. A receiver recomputes it, compares
in constant time, and refuses a `t` more than a few minutes from its clock (a replay); the body's
`id` (also in `X-RRM-Delivery`) is the same on every retry of one delivery, for de-duplication.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.models import WebhookDelivery, WebhookSubscription
from rollout.services.audit import audit_record
from rollout.services.enqueue import WEBHOOK_DELIVER, task_send
from rollout.services.roles import Role, role_require
from rollout.services.webhook_http import (
    DeliveryFailed,
    TargetRefused,
    webhook_post,
    webhook_target_check,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-RRM-Signature"
MAX_ATTEMPTS = 6
#: how far a signature's timestamp may be from the receiver's clock (what `webhook_signature_verify`
#: accepts by default, and what the README tells receivers)
SIGNATURE_TOLERANCE_SECONDS = 300
REMOVED = "the subscription was removed"


EVENTS = ("activation", "rollback")


class WebhookRefused(RolloutError, ValueError):
    """A subscription request that cannot be accepted (bad URL, secret or event)."""

    kind = ErrorKind.INVALID


def webhook_subscribe(*, url: str, secret: str, events: list[str],
                      actor: AbstractBaseUser | None) -> WebhookSubscription:
    """Subscribe another system to events; operators decide who hears about activations.

    The URL's host must resolve to addresses a delivery may reach (see `webhook_target_check`)."""
    user = role_require(user=actor, role=Role.OPERATOR)
    longest = WebhookSubscription._meta.get_field("secret").max_length or 0
    if not 16 <= len(secret) <= longest:
        raise WebhookRefused(f"the secret must be 16 to {longest} characters")
    if not secret.isprintable():
        raise WebhookRefused("the secret must be printable characters (no control characters)")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise WebhookRefused(f"unknown events {unknown} (known: {', '.join(EVENTS)})")
    try:
        webhook_target_check(url=url, allow_private=settings.RRM_WEBHOOK_ALLOW_PRIVATE)
    except TargetRefused as exc:
        raise WebhookRefused(str(exc)) from exc
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(url=url, secret=secret,
                                                          events=sorted(set(events)),
                                                          created_by=user)
        audit_record(actor=user, action="webhook.subscribed", object_type="webhook",
                     object_id=str(subscription.id), details={"url": url, "events": events})
    return subscription


def webhook_unsubscribe(*, subscription_id: int,
                        actor: AbstractBaseUser | None) -> WebhookSubscription:
    """Stop a subscription: no new deliveries, and its pending ones (retries included) are
    settled as failed at once; an attempt already on the wire is its last."""
    user = role_require(user=actor, role=Role.OPERATOR)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(
            id=subscription_id).first()
        if subscription is None:
            raise WebhookRefused(f"no webhook subscription {subscription_id}")
        subscription.active = False
        subscription.save(update_fields=["active"])
        stopped = subscription.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED, last_error=REMOVED)
        audit_record(actor=user, action="webhook.unsubscribed", object_type="webhook",
                     object_id=str(subscription.id),
                     details={"url": subscription.url, "pending_stopped": stopped})
    return subscription


def webhook_event(*, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
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
    for delivery_id in ids:
        task_send(name=WEBHOOK_DELIVER, args=(delivery_id,))


def webhook_signature(*, secret: str, body: bytes, timestamp: int) -> str:
    """The `X-RRM-Signature` value: `t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>." + body>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_signature_verify(*, secret: str, header: str, body: bytes, now: float,
                     tolerance: float = SIGNATURE_TOLERANCE_SECONDS) -> bool:
    """What a receiver does with `X-RRM-Signature`: the HMAC matches this body and secret, and
    the timestamp is within `tolerance` seconds of `now` (an older one is a replay)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(webhook_signature(secret=secret, body=body, timestamp=timestamp),
                               header.strip())


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Try to send one delivery once. Returns it, or None if it is gone or already settled.

    The row is claimed in one short transaction (the attempt counted, the next attempt pushed
    past the request's timeout as a lease), the POST happens outside any transaction, and the
    outcome is written in a second one: no lock is held while another system answers.

    The URL is checked again before every attempt (its host may resolve elsewhere by now); a
    refused address settles the delivery as failed at once. Any answer but a 2xx, a redirect
    included, is a failed attempt, retried with backoff until MAX_ATTEMPTS.
    """
    timeout = float(settings.RRM_WEBHOOK_TIMEOUT_SECONDS)
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("subscription")
                    .filter(id=delivery_id, status=WebhookDelivery.Status.PENDING,
                            next_attempt_at__lte=timezone.now()).first())
        if delivery is None:
            return None
        if not delivery.subscription.active:
            # removed after this delivery was queued (webhook_unsubscribe settles the rest)
            return _settle(delivery, status=None, error=REMOVED, final=True)
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=2 * timeout)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    try:
        target = webhook_target_check(url=delivery.subscription.url,
                                      allow_private=settings.RRM_WEBHOOK_ALLOW_PRIVATE)
    except TargetRefused as exc:
        return _settle(delivery, status=None, error=f"refused: {exc}", final=True)
    body = json.dumps({"id": delivery.id, "event": delivery.event,
                       "payload": delivery.payload}, sort_keys=True).encode()
    headers = {"Content-Type": "application/json",
               SIGNATURE_HEADER: webhook_signature(secret=delivery.subscription.secret, body=body,
                                                   timestamp=int(time.time())),
               "X-RRM-Event": delivery.event, "X-RRM-Delivery": str(delivery.id),
               "User-Agent": "region-rollout-manager-webhooks"}
    try:
        status = webhook_post(target=target, body=body, headers=headers, timeout=timeout)
    except DeliveryFailed as exc:
        return _settle(delivery, status=exc.status, error=str(exc)[:500],
                       final=delivery.attempts >= MAX_ATTEMPTS)
    return _settle(delivery, status=status, error="", final=True)


def _settle(delivery: WebhookDelivery, *, status: int | None, error: str,
            final: bool) -> WebhookDelivery:
    """Write an attempt's outcome: delivered (no error), failed (an error, final) or pending
    again after the backoff."""
    with transaction.atomic():
        delivery.response_status = status
        delivery.last_error = error
        if not error:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
        elif final:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.next_attempt_at = (timezone.now()
                                        + webhook_retry_delay(attempts=delivery.attempts))
        delivery.save()
    logger.info("webhook.attempt delivery_id=%s status=%s attempts=%d response=%s", delivery.id,
                delivery.status, delivery.attempts, status)
    return delivery


def webhook_retry_delay(*, attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s, ... capped at 10 minutes."""
    return timedelta(seconds=min(600, 10 * 2 ** (attempts - 1)))


def webhook_deliveries_due() -> list[int]:
    """Ids of pending deliveries whose next attempt is due (at most 500: the sweep's batch)."""
    return list(WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now(),
    ).values_list("id", flat=True)[:500])
