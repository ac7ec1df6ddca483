"""Cached simulations and KPI snapshots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rollout.models.versions import Version


class SimulationRun(models.Model):
    """A cached simulation of one version under one demand. Versions are immutable, so the
    result for a (version, demand) pair never changes and is computed once."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="simulations")
    #: sha256 of the demand settings (generated demand) or of the orders CSV bytes (replay)
    demand_key = models.CharField(max_length=64)
    demand = models.JSONField(default=dict, blank=True)
    result = models.JSONField()
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("version", "demand_key"), name="simulation_once")
        ]

    def __str__(self) -> str:
        return f"simulation of {self.version_id} ({self.demand_key[:8]})"


class KpiSnapshot(models.Model):
    """A region's KPI values at a moment: simulated for a version, or observed by another
    system. Rollouts record a "before" and an "after" snapshot of every region they activate."""

    class Source(models.TextChoices):
        SIMULATION = "simulation", "simulation"
        OBSERVED = "observed", "observed"

    class Kind(models.TextChoices):
        BEFORE = "before", "before an activation"
        AFTER = "after", "after an activation"
        POINT = "point", "a standalone reading"

    region = models.CharField(max_length=32, db_index=True)
    version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.PROTECT, related_name="kpi_snapshots"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.POINT)
    values = models.JSONField()
    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="kpi_snapshots",
    )
    #: for observations: the system that posted them (e.g. "monitoring")
    source_system = models.CharField(max_length=64, blank=True)
    #: for observations: the API token they were posted with (kept when it is revoked)
    token = models.ForeignKey("rollout.ApiToken", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="observations")
    #: for observations: the poster's Idempotency-Key, so a retried post is stored once
    # NULL, not "": the unique constraint must allow any number of posts without a key.
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ("-taken_at", "-id")
        indexes = [models.Index(fields=("region", "source", "-taken_at"))]
        constraints = [models.UniqueConstraint(fields=("region", "idempotency_key"),
                                               name="observation_once")]

    def __str__(self) -> str:
        return f"{self.region} {self.source} {self.kind} {self.taken_at:%Y-%m-%d %H:%M}"
