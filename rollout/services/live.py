"""The live network: each region's latest activation, the composite state built from them, and
the live network with a set of changes (what a phase, a rollback or a plan would leave).

Every question of the form "what would the live network be if these regions were on these
versions" is answered by `live_network_with`; nothing else composes live regions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from django.conf import settings
from django.db.models import Max

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
from rollout.models import Activation, Version
from rollout.selectors import version_bundle


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
        composite = live_network_with()
        _cached = LiveState(at_activation=newest, composite=composite)
        freeze_long_lived()  # kept until the next activation: no need to scan it meanwhile
        return _cached


def forget_live_state() -> None:
    """Drop this process's composite state (after writing activations)."""
    global _cached
    _cached = None


def _check_interval() -> float:
    return float(getattr(settings, "RRM_LIVE_STATE_CHECK_MS", 200)) / 1000.0


_FINDINGS: dict[int, tuple[CompositeState, list[Finding]]] = {}


def composite_findings(composite: CompositeState) -> list[Finding]:
    """The check catalogue over a composite state, plus its coverage gaps. Kept for the last
    few composites (the live state's is asked by every plan check); callers get copies."""
    cached = _FINDINGS.get(id(composite))
    if cached is None or cached[0] is not composite:
        findings = gap_findings(composite)
        if composite.bundle is not None:
            findings.extend(run_checks(composite.bundle))
        for item in findings:
            item.ref = None  # a composite has no files to point into
        if len(_FINDINGS) >= 4:
            _FINDINGS.clear()
        cached = _FINDINGS[id(composite)] = (composite, sort_findings(findings))
    return [replace(item) for item in cached[1]]




@dataclass(frozen=True)
class LiveBasis:
    """What the live network is built from, read once: each region's latest activation and
    every zone each region has ever made live. A plan check asks several "with these changes"
    questions of one basis."""

    latest: dict[str, Activation]
    history: dict[str, set[str]]

    @classmethod
    def read(cls) -> LiveBasis:
        return cls(latest=latest_activations(), history=claimed_history())

    @property
    def newest(self) -> int:
        return max((a.id for a in self.latest.values()), default=0)


def live_network_with(changes: Mapping[str, Version | None] | None = None, *,
                      basis: LiveBasis | None = None) -> CompositeState:
    """The live network as it would be after activations putting each region of `changes` on
    its version (None: out of service), written in the mapping's order after everything live
    now. With no changes, the live network itself.

    This is the one meaning of "the live network with a set of changes": a phase activation,
    a one-click or region rollback and every step of a plan check ask it.
    """
    basis = basis or LiveBasis.read()
    changes = changes or {}
    live = [r for r in live_regions_from(basis.latest) if r.code not in changes]
    history = {code: set(zones) for code, zones in basis.history.items()}
    sequence = basis.newest
    for code, version in changes.items():
        if version is None:
            continue
        bundle = version_bundle(version=version)
        if bundle is None:
            raise ValueError(f"version {version.id} has no readable bundle")
        sequence += 1
        live.append(LiveRegion(code=code, version_id=version.id, bundle=bundle,
                               sequence=sequence))
        # Once written, the activation is part of the history: its zones count for gaps.
        history.setdefault(code, set()).update(claimed_zones(bundle, code))
    return compose(live, ever_claimed_zones([r.code for r in live], history))


def live_network_errors(changes: Mapping[str, Version | None] | None = None, *,
                        basis: LiveBasis | None = None) -> list[Finding]:
    """The errors of `live_network_with(changes)`: what a write to the live state must not
    leave behind."""
    state = live_network_with(changes, basis=basis)
    return [f for f in composite_findings(state) if f.severity == "error"]
