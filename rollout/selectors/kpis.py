"""KPI snapshots as the API and the pages read them: a region's snapshots, those recorded
around given activations, the latest observed values, and the newest snapshot's id."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Max, Q, QuerySet

from rollout.models import Activation, KpiSnapshot


def kpi_snapshot_list(*, region: str, kind: str | None = None) -> QuerySet[KpiSnapshot]:
    """The region's snapshots (of one kind, if given), newest first, with the token that
    posted each loaded."""
    rows = KpiSnapshot.objects.filter(region=region).select_related("token").order_by(
        "-taken_at", "-id")
    return rows.filter(kind=kind) if kind else rows


def kpi_snapshot_by_key(*, region: str, idempotency_key: str) -> KpiSnapshot | None:
    """The region's observation posted with that `Idempotency-Key`, or None."""
    return KpiSnapshot.objects.filter(region=region, idempotency_key=idempotency_key).first()


def kpi_snapshot_list_since(*, region: str, since: datetime,
                            limit: int = 1000) -> list[KpiSnapshot]:
    """The newest `limit` snapshots of the region taken at or after `since`, newest first."""
    return list(KpiSnapshot.objects.filter(region=region, taken_at__gte=since)
                .order_by("-taken_at", "-id")[:limit])


def kpi_snapshot_list_around(*, activations: Iterable[Activation],
                             limit: int = 500) -> list[KpiSnapshot]:
    """Snapshots that may belong to the activations, newest first, in one query: those of a
    rollout's phase are stamped with the phase's activation time; for an activation outside a
    rollout, any "after" of its region on its version (a rollback records none of its own, and
    a version's simulated KPIs for a region never change). Versionless activations (a region
    taken out of service) have none."""
    match = Q(pk__in=[])
    for a in activations:
        if a.version_id is None:
            continue
        if a.phase is not None and a.phase.activated_at is not None:
            match |= Q(region=a.region, taken_at=a.phase.activated_at)
        else:
            match |= Q(region=a.region, kind=KpiSnapshot.Kind.AFTER, version=a.version_id)
    return list(KpiSnapshot.objects.filter(match).order_by("-taken_at", "-id")[:limit])


def kpi_observed_latest(*, region: str, since: datetime,
                        until: datetime | None = None) -> dict[str, float]:
    """The newest observed value of each KPI for the region since `since` (and taken by
    `until`, when given), among its 50 newest observations."""
    values: dict[str, float] = {}
    found = KpiSnapshot.objects.filter(region=region, source=KpiSnapshot.Source.OBSERVED,
                                       kind=KpiSnapshot.Kind.POINT, taken_at__gte=since)
    if until is not None:
        found = found.filter(taken_at__lte=until)
    rows = found.order_by("-taken_at", "-id").values_list("values", flat=True)[:50]
    for snapshot in rows:
        for name, value in snapshot.items():
            values.setdefault(name, value)
    return values


def kpi_snapshot_newest_id() -> int | None:
    """The id of the newest snapshot (None while there is none): it changes with every new
    snapshot."""
    newest: int | None = KpiSnapshot.objects.aggregate(newest=Max("id"))["newest"]
    return newest
