"""The audit log: events filtered as GET /api/v1/audit and the audit page filter them, the
choices the page's filters offer, and the freeze windows cancelled (whose rows are gone)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from rollout.models import AuditEvent


def audit_event_list(*, actor: str = "", without_actor: bool = False, action: str = "",
                     since: datetime | None = None,
                     before: datetime | None = None) -> QuerySet[AuditEvent]:
    """Matching events, newest first, with their actor loaded: by the user named `actor`, or
    by no user at all (`without_actor`: the system), whose action starts with `action`
    ("rollout." is every rollout transition), at or after `since` and before `before`."""
    rows = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if without_actor:
        rows = rows.filter(actor=None)
    elif actor:
        rows = rows.filter(actor__username=actor)
    if action:
        rows = rows.filter(action__startswith=action)
    if since:
        rows = rows.filter(at__gte=since)
    if before:
        rows = rows.filter(at__lt=before)
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


def audit_freezes_cancelled(*, since: datetime, limit: int) -> list[AuditEvent]:
    """The newest `limit` cancellations of freeze windows after `since`, newest first, with
    their actor: a cancelled window is deleted (services.freezes.freeze_end), its audit row
    remembers it."""
    return list(AuditEvent.objects.filter(action="freeze.cancelled", at__gt=since)
                .select_related("actor").order_by("-at")[:limit])
