"""What the audit log page reads: the events matching its filters, in the page's terms.

The filters mean what they mean in GET /api/v1/audit (one selector,
`rollout.selectors.audit.audit_event_list`): `who` is a username (or "system" for events
without a user), `action` matches a prefix of the action ("rollout." is every rollout
transition), and the dates bound the day in the site's time zone, both inclusive.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from rollout.models import AuditEvent
from rollout.selectors.audit import audit_event_list

#: the `who` value meaning "events without a user"
SYSTEM = "system"


def audit_events_filtered(*, who: str = "", action: str = "", since: date | None = None,
                          until: date | None = None) -> QuerySet[AuditEvent]:
    """Matching events, newest first, with their actor loaded."""
    return audit_event_list(actor="" if who == SYSTEM else who, without_actor=who == SYSTEM,
                            action=action, since=_start_of(since) if since else None,
                            before=_start_of(until + timedelta(days=1)) if until else None)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
