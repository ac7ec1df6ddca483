"""The live network as the activations make it: each region's latest activation, the zones each
region has ever made live, and the live network with a set of changes (`live_network_with`:
what a phase, a rollback or a plan would leave). Nothing else composes live regions.

`rollout.services.live` keeps the published live state (its cache and route table) and the
checks of a change; both build on this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Max

from rollout.domain.composite import CompositeState, LiveRegion, claimed_zones, compose
from rollout.models import Activation, Version
from rollout.selectors import version_bundle
from rollout.services.route_tables import NoRouteTable, route_table_claims


def latest_activations(*, upto: int | None = None) -> dict[str, Activation]:
    """Each region's latest activation (its active version, or None when taken out), as of
    activation `upto` when given."""
    rows = Activation.objects.all() if upto is None else Activation.objects.filter(id__lte=upto)
    latest_ids = rows.values("region").annotate(latest=Max("id")).values_list("latest", flat=True)
    found = Activation.objects.filter(id__in=list(latest_ids)).select_related("version", "actor")
    return {row.region: row for row in found}


def _live_regions(latest: dict[str, Activation]) -> list[LiveRegion]:
    live: list[LiveRegion] = []
    for code, activation in latest.items():
        if activation.version is None:
            continue
        bundle = version_bundle(version=activation.version)
        if bundle is not None:
            live.append(LiveRegion(code=code, version_id=activation.version.id, bundle=bundle,
                                   sequence=activation.id))
    return live


def claimed_history(*, upto: int | None = None) -> dict[str, set[str]]:
    """Per region, every zone any of its activations has ever made live (as of `upto`)."""
    history: dict[str, set[str]] = {}
    rows = Activation.objects.exclude(version=None)
    if upto is not None:
        rows = rows.filter(id__lte=upto)
    for region, version_id in rows.values_list("region", "version").distinct():
        try:
            zones = route_table_claims(version_id=version_id, region=region)
        except NoRouteTable:
            continue
        history.setdefault(region, set()).update(zones)
    return history


def zones_ever_claimed(*, live_codes: Iterable[str] | None = None,
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
class LiveBasis:
    """What the live network is built from, read once: each region's latest activation and
    every zone each region has ever made live. A plan check asks several "with these changes"
    questions of one basis."""

    latest: dict[str, Activation]
    history: dict[str, set[str]]

    @classmethod
    def read(cls, *, upto: int | None = None) -> LiveBasis:
        """As of now, or as of activation `upto`."""
        return cls(latest=latest_activations(upto=upto), history=claimed_history(upto=upto))

    @property
    def newest(self) -> int:
        return max((a.id for a in self.latest.values()), default=0)


def live_network_with(*, changes: Mapping[str, Version | None] | None = None,
                      basis: LiveBasis | None = None) -> CompositeState:
    """The live network as it would be after activations putting each region of `changes` on
    its version (None: out of service), written in the mapping's order after everything live
    now. With no changes, the live network itself.

    This is the one meaning of "the live network with a set of changes": a phase activation,
    a one-click or region rollback and every step of a plan check ask it.
    """
    basis = basis or LiveBasis.read()
    changes = changes or {}
    live = [r for r in _live_regions(basis.latest) if r.code not in changes]
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
    return compose(live, zones_ever_claimed(live_codes=[r.code for r in live], history=history))
