"""Simulation jobs: a simulation that was not cached, computed by a Celery worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rollout.models.versions import Version


class SimulationJob(models.Model):
    """One requested simulation of a version (with an optional baseline) under one demand.

    Identical requests while one is pending or running share it: `request_key` (a hash of the
    version, the baseline and the demand) is unique among the active jobs. The result is the
    body POST /simulate answers; the simulations themselves are cached as `SimulationRun`s.
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    ACTIVE = (State.PENDING, State.RUNNING)

    version = models.ForeignKey(Version, on_delete=models.CASCADE,
                                related_name="simulation_jobs")
    baseline = models.ForeignKey(Version, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    #: the demand settings given with the request; null: the version's own demand.yaml
    demand = models.JSONField(null=True, blank=True)
    request_key = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    #: how many times a worker started it (a worker killed mid-run leaves it running; the
    #: redelivered message starts it again, up to a limit)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("request_key",),
                                    condition=Q(state__in=("pending", "running")),
                                    name="simulation_job_once_active"),
        ]
        indexes = [models.Index(fields=("request_key", "-created_at"),
                                name="simulation_job_request")]

    def __str__(self) -> str:
        return f"simulation job {self.id} of {self.version_id} ({self.state})"
