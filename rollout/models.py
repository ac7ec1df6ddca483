"""The database's records. No behaviour hides here (STYLE.md rule 5): services write them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Version(models.Model):
    """An immutable, content-addressed bundle: the raw files as written, and what the checks
    found in them. `id` is a short prefix of `digest`, the sha256 of the canonical form."""

    class Layout(models.TextChoices):
        DIRECTORY = "directory", "directory of section files"
        SINGLE = "single", "single file"

    id = models.CharField(primary_key=True, max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="versions",
    )
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    layout = models.CharField(max_length=16, choices=Layout.choices)
    valid = models.BooleanField()
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    findings = models.JSONField(default=list, blank=True)
    #: counts for lists and pages: zones, facilities, lanes, regions, routes, bytes
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        first_line = self.message.splitlines()[0] if self.message else ""
        return f"{self.id} {first_line}"


class VersionFile(models.Model):
    """One file of a version, byte for byte as imported (UTF-8 text, comments and all)."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ("version", "name")
        constraints = [
            models.UniqueConstraint(fields=("version", "name"), name="version_file_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.version_id}/{self.name}"


class AuditEvent(models.Model):
    """Append-only record of every change of state: who, when, what, why."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, db_index=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"


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

    class Meta:
        ordering = ("-taken_at", "-id")
        indexes = [models.Index(fields=("region", "source", "-taken_at"))]

    def __str__(self) -> str:
        return f"{self.region} {self.source} {self.kind} {self.taken_at:%Y-%m-%d %H:%M}"
