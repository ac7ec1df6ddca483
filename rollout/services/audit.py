"""Writing audit events. Callers do it inside their own transaction, so a change and its
audit row commit together or not at all."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, User

from rollout.models import AuditEvent


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    object_type: str,
    object_id: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        details=details or {},
    )
