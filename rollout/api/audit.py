"""/audit: the append-only log, newest first, filterable by who, what and since."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router

from rollout.api.auth import caller
from rollout.api.common import bounds
from rollout.api.schemas import AuditPage
from rollout.selectors.audit import audit_event_list
from rollout.services.roles import Role

router = Router(tags=["audit"])


@router.get("/audit", response=AuditPage)
def audit(request: HttpRequest, actor: str | None = None, action: str | None = None,
          since: datetime | None = None, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    caller(request).require(Role.VIEWER)
    limit, offset = bounds(limit, offset)
    rows = audit_event_list(actor=actor or "", action=action or "", since=since)
    items = [{"id": e.id, "at": e.at.isoformat(),
              "actor": e.actor.username if e.actor else None, "action": e.action,
              "object_type": e.object_type, "object_id": e.object_id, "reason": e.reason,
              "details": e.details} for e in rows[offset:offset + limit]]
    return {"count": rows.count(), "limit": limit, "offset": offset, "items": items}
