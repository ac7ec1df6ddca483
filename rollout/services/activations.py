"""Activations (append-only): the only writes to the live state, and the lock they share."""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import connection, transaction
from django.utils import timezone

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.text import reason_require
from rollout.models import Activation, LiveLock, Phase, Rollout, Version
from rollout.selectors.versions import version_bundle
from rollout.services.audit import audit_record
from rollout.services.live import live_network_errors, live_state_forget, live_state_publish
from rollout.services.live_network import LiveBasis
from rollout.services.roles import Role, role_require
from rollout.services.webhooks import webhook_event

logger = logging.getLogger(__name__)


class ActivationRefused(RolloutError):
    """The activation would leave the live network broken; `findings` say how."""

    kind = ErrorKind.CONFLICT
    shows_findings = True


def live_state_lock() -> None:
    """Take the live state's lock for the caller's transaction: every write to the live state
    (phase activation, one-click rollback, region rollback) calls this before the check that
    guards it, so two writers cannot both pass their checks against the same state."""
    assert connection.in_atomic_block, "the live state's lock is held by a transaction"
    if not LiveLock.objects.filter(id=1).update(taken_at=timezone.now()):
        # The migration makes the row; a flushed test database may have lost it.
        LiveLock.objects.get_or_create(id=1)
        LiveLock.objects.filter(id=1).update(taken_at=timezone.now())


def activation_create(
    *,
    regions: list[str],
    version: Version | None,
    kind: str,
    actor: AbstractBaseUser | None,
    reason: str = "",
    rollout: Rollout | None = None,
    phase: Phase | None = None,
    restores: dict[str, Activation | None] | None = None,
) -> list[Activation]:
    """Write activations for `regions` (the caller holds the transaction and has taken
    `live_state_lock` before checking the state these activations leave)."""
    live_state_lock()  # already held when the caller checked first; taken here for any other
    actor_user = actor if isinstance(actor, User) else None
    created = []
    for region in regions:
        created.append(Activation.objects.create(
            region=region, version=version, kind=kind, rollout=rollout, phase=phase,
            actor=actor_user, reason=reason,
            restores=(restores or {}).get(region),
        ))
    # This process sees its own change at once (others within RRM_LIVE_STATE_CHECK_MS).
    live_state_forget()
    transaction.on_commit(live_state_forget)
    return created


def region_rollback(*, region: str, version: Version | None, reason: str,
                    actor: AbstractBaseUser | None) -> Activation:
    """Put one region back on an earlier version (or out of service with version None)."""
    user = role_require(user=actor, role=Role.OPERATOR)
    reason_require(reason, missing="a rollback needs a reason")
    if version is not None and not version.valid:
        raise ActivationRefused(f"version {version.id} has errors and can never be live")
    if version is not None:
        bundle = version_bundle(version=version)
        if bundle is None or region not in {r.code for r in bundle.regions.regions}:
            raise ActivationRefused(f"version {version.id} has no region {region}")
    with transaction.atomic():
        live_state_lock()
        basis = LiveBasis.read()
        previous = basis.latest.get(region)
        if previous is None:
            raise ActivationRefused(f"region {region} has never been live")
        errors = live_network_errors(changes={region: version}, basis=basis)
        if errors:
            raise ActivationRefused(f"rolling {region} back would break the live network",
                                    errors)
        restores = _activation_of(region, version)
        [activation] = activation_create(regions=[region], version=version,
                                         kind=Activation.Kind.REGION_ROLLBACK, actor=user,
                                         reason=reason, restores={region: restores})
        live_state_publish()
        audit_record(actor=user, action="region.rolled_back", object_type="region",
                     object_id=region, reason=reason,
                     details={"from": previous.version_id, "to": version.id if version else None,
                              "activation": activation.id})
        webhook_event(event="rollback",
                      payload={"region": region, "version": version.id if version else None,
                               "activation": activation.id, "reason": reason})
    logger.info("region.rolled_back region=%s version=%s", region, version.id if version else None)
    return activation


def _activation_of(region: str, version: Version | None) -> Activation | None:
    """The latest earlier activation that put `region` on `version` (what a rollback restores)."""
    return (Activation.objects.filter(region=region, version=version).order_by("-id").first()
            if version is not None else None)
