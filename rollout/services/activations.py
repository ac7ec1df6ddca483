"""Activations (append-only) and the composite live state built from them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.db.models import Max

from rollout.domain.bundle import Bundle
from rollout.domain.checks import run_checks
from rollout.domain.composite import (
    CompositeState,
    LiveRegion,
    claimed_zones,
    compose,
    gap_findings,
)
from rollout.domain.findings import Finding, sort_findings
from rollout.domain.gcpause import freeze_long_lived
from rollout.models import Activation, Phase, Rollout, Version
from rollout.selectors import version_bundle
from rollout.services.audit import audit_record
from rollout.services.roles import Role, require_role
from rollout.services.webhooks import webhook_event

logger = logging.getLogger(__name__)


class ActivationRefused(Exception):
    """The activation would leave the live network broken; `findings` say how."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


def latest_activations() -> dict[str, Activation]:
    """Each region's latest activation (its active version, or None when taken out)."""
    latest_ids = (Activation.objects.values("region").annotate(latest=Max("id"))
                  .values_list("latest", flat=True))
    rows = Activation.objects.filter(id__in=list(latest_ids)).select_related("version")
    return {row.region: row for row in rows}


def live_regions_from(latest: dict[str, Activation]) -> list[LiveRegion]:
    live: list[LiveRegion] = []
    for code, activation in latest.items():
        if activation.version is None:
            continue
        bundle = version_bundle(version=activation.version)
        if bundle is not None:
            live.append(LiveRegion(code=code, version_id=activation.version.id, bundle=bundle,
                                   sequence=activation.id))
    return live


def claimed_history() -> dict[str, set[str]]:
    """Per region, every zone any of its activations has ever made live."""
    history: dict[str, set[str]] = {}
    pairs = Activation.objects.exclude(version=None).values_list("region", "version").distinct()
    for region, version_id in pairs:
        bundle = version_bundle(version=Version.objects.get(id=version_id))
        if bundle is not None:
            history.setdefault(region, set()).update(claimed_zones(bundle, region))
    return history


def ever_claimed_zones(live_codes: Iterable[str] | None = None,
                       history: dict[str, set[str]] | None = None) -> set[str]:
    """Zones that live regions have ever claimed: the ones whose loss is a coverage gap.

    A region out of service (never live, or rolled back to "not live") leaves no gaps: its
    zones are simply not live, as DESIGN section 5 wants for a rolled-back first rollout.
    """
    history = claimed_history() if history is None else history
    if live_codes is None:
        live_codes = [code for code, a in latest_activations().items() if a.version is not None]
    zones: set[str] = set()
    for code in live_codes:
        zones |= history.get(code, set())
    return zones


@dataclass(frozen=True)
class LiveState:
    """The composite state with the activation id it was built at (its cache key)."""

    at_activation: int
    composite: CompositeState


_cache_lock = threading.Lock()
_cached: LiveState | None = None
_checked_at = 0.0


def live_state() -> LiveState:
    """The composite state, rebuilt only when a new activation exists.

    Whether one exists is asked of the database at most every RRM_LIVE_STATE_CHECK_MS
    (default 200 ms) per process, so a hot reader such as GET /route costs no query; the
    process that writes an activation forgets its copy at once, and every other process sees
    the change within that interval.
    """
    global _cached, _checked_at
    cached = _cached
    now = time.monotonic()
    if cached is not None and now - _checked_at < _check_interval():
        return cached
    newest = Activation.objects.aggregate(newest=Max("id"))["newest"] or 0
    _checked_at = now
    if cached is not None and cached.at_activation == newest:
        return cached
    with _cache_lock:
        if _cached is not None and _cached.at_activation == newest:
            return _cached
        live = live_regions_from(latest_activations())
        composite = compose(live, ever_claimed_zones([r.code for r in live]))
        _cached = LiveState(at_activation=newest, composite=composite)
        freeze_long_lived()  # kept until the next activation: no need to scan it meanwhile
        return _cached


def forget_live_state() -> None:
    """Drop this process's composite state (after writing activations)."""
    global _cached, _route_index
    _cached = None
    _route_index = None


def _check_interval() -> float:
    return float(getattr(settings, "RRM_LIVE_STATE_CHECK_MS", 200)) / 1000.0


def composite_findings(composite: CompositeState) -> list[Finding]:
    """The check catalogue over a composite state, plus its coverage gaps."""
    findings = gap_findings(composite)
    if composite.bundle is not None:
        findings.extend(run_checks(composite.bundle))
    for item in findings:
        item.ref = None  # a composite has no files to point into
    return sort_findings(findings)


def activate(
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
    """Write activations for `regions` (the caller holds the transaction and the locks)."""
    actor_user = actor if isinstance(actor, User) else None
    created = []
    for region in regions:
        created.append(Activation.objects.create(
            region=region, version=version, kind=kind, rollout=rollout, phase=phase,
            actor=actor_user, reason=reason,
            restores=(restores or {}).get(region),
        ))
    # This process sees its own change at once (others within RRM_LIVE_STATE_CHECK_MS).
    forget_live_state()
    transaction.on_commit(forget_live_state)
    return created


def region_rollback(*, region: str, version: Version | None, reason: str,
                    actor: AbstractBaseUser | None) -> Activation:
    """Put one region back on an earlier version (or out of service with version None)."""
    user = require_role(actor, Role.OPERATOR)
    if not reason.strip():
        raise ActivationRefused("a rollback needs a reason")
    if version is not None and not version.valid:
        raise ActivationRefused(f"version {version.id} has errors and can never be live")
    if version is not None:
        bundle = version_bundle(version=version)
        if bundle is None or region not in {r.code for r in bundle.regions.regions}:
            raise ActivationRefused(f"version {version.id} has no region {region}")
    with transaction.atomic():
        latest = latest_activations()
        previous = latest.get(region)
        if previous is None:
            raise ActivationRefused(f"region {region} has never been live")
        candidate = _state_with(latest, region, version)
        errors = [f for f in composite_findings(candidate) if f.severity == "error"]
        if errors:
            raise ActivationRefused(f"rolling {region} back would break the live network",
                                    errors)
        restores = _activation_of(region, version)
        [activation] = activate(regions=[region], version=version,
                                kind=Activation.Kind.REGION_ROLLBACK, actor=user, reason=reason,
                                restores={region: restores})
        audit_record(actor=user, action="region.rolled_back", object_type="region",
                     object_id=region, reason=reason,
                     details={"from": previous.version_id, "to": version.id if version else None,
                              "activation": activation.id})
        webhook_event("rollback", {"region": region, "version": version.id if version else None,
                                   "activation": activation.id, "reason": reason})
    logger.info("region.rolled_back region=%s version=%s", region, version.id if version else None)
    return activation


def _state_with(latest: dict[str, Activation], region: str,
                version: Version | None) -> CompositeState:
    live = [r for r in live_regions_from(latest) if r.code != region]
    if version is not None:
        bundle = version_bundle(version=version)
        assert bundle is not None
        top = max((r.sequence for r in live), default=0) + 1
        live.append(LiveRegion(code=region, version_id=version.id, bundle=bundle, sequence=top))
    return compose(live, ever_claimed_zones([r.code for r in live]))


def _activation_of(region: str, version: Version | None) -> Activation | None:
    """The latest earlier activation that put `region` on `version` (what a rollback restores)."""
    return (Activation.objects.filter(region=region, version=version).order_by("-id").first()
            if version is not None else None)


def bundle_of(activation: Activation | None) -> Bundle | None:
    if activation is None or activation.version is None:
        return None
    return version_bundle(version=activation.version)


class RouteIndex:
    """Answers "which FCs serve zone Z right now, along which path" from one composite state.

    Built once per change of the live activations; each zone's answer is computed on first
    request and kept, so a warm lookup is a dict lookup.
    """

    def __init__(self, state: LiveState) -> None:
        from rollout.domain.assignment import Assignment
        from rollout.domain.network import NetworkIndex
        from rollout.domain.routing import ZoneRouter

        self.state = state
        self._answers: dict[str, dict[str, object] | None] = {}
        self._predecessors: dict[int, object] = {}
        composite = state.composite
        if composite.bundle is None:
            self.router = None
            return
        net = NetworkIndex(composite.bundle.network)
        self.router = ZoneRouter(Assignment(composite.bundle, net))

    def lookup(self, zone: str) -> dict[str, object] | None:
        """{"zone", "region", "version", "fcs", "path"}, or None when the zone is not live."""
        if zone in self._answers:
            return self._answers[zone]
        answer = self._compute(zone)
        self._answers[zone] = answer
        return answer

    def _compute(self, zone: str) -> dict[str, object] | None:
        from rollout.domain.network import path_from_predecessors

        router, composite = self.router, self.state.composite
        region = composite.zone_owner.get(zone)
        if router is None or region is None:
            return None
        net = router.net
        position = net.zones.position[zone]
        candidates = router.candidates(position)
        fcs = [net.facility_ids[c] for c in candidates.tolist()]
        station = int(net.zone_station[position])
        path: list[str] = []
        if len(candidates) and station >= 0:
            first = int(candidates[0])
            rule = router.routes[int(router.assignment.zone_rule[position])]
            if rule.via is not None:
                path = [fcs[0], *rule.via, net.facility_ids[station]]
            else:
                predecessors = self._predecessors.get(first)
                if predecessors is None:
                    import numpy as np

                    predecessors = net.fastest_paths_from(np.array([first]))[1][0]
                    self._predecessors[first] = predecessors
                path = [net.facility_ids[f] for f in path_from_predecessors(
                    predecessors, first, station)]  # type: ignore[arg-type]
        return {"zone": zone, "region": region, "version": composite.region_versions[region],
                "fcs": fcs, "path": path}


_route_index: RouteIndex | None = None


def route_lookup(zone: str) -> dict[str, object] | None:
    """The live route of a zone, from the cached composite state."""
    global _route_index
    state = live_state()
    index = _route_index
    if index is None or index.state is not state:
        index = RouteIndex(state)
        _route_index = index
    return index.lookup(zone)
