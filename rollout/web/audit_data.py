"""What the audit log page reads: the events matching its filters, and the choices its
filters offer (the usernames and actions that occur).

The filters mean what they mean in GET /api/v1/audit: `who` is a username (or "system" for
events without a user), `action` matches a prefix of the action ("rollout." is every rollout
transition), and the dates bound the day in the site's time zone, both inclusive.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from rollout.models import AuditEvent

#: the `who` value meaning "events without a user"
SYSTEM = "system"


def audit_events_filtered(*, who: str = "", action: str = "", since: date | None = None,
                          until: date | None = None) -> QuerySet[AuditEvent]:
    """Matching events, newest first, with their actor loaded."""
    rows = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if who == SYSTEM:
        rows = rows.filter(actor=None)
    elif who:
        rows = rows.filter(actor__username=who)
    if action:
        rows = rows.filter(action__startswith=action)
    if since:
        rows = rows.filter(at__gte=_start_of(since))
    if until:
        rows = rows.filter(at__lt=_start_of(until + timedelta(days=1)))
    return rows


def audit_usernames() -> list[str]:
    """Every username that acted in some event, sorted."""
    return list(AuditEvent.objects.exclude(actor=None)
                .values_list("actor__username", flat=True).distinct()
                .order_by("actor__username"))


def audit_actions() -> list[str]:
    """Every action recorded, sorted (the suggestions of the "what" filter)."""
    return list(AuditEvent.objects.values_list("action", flat=True).distinct()
                .order_by("action"))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
