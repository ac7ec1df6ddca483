"""Simulation jobs: a simulation that was not cached, computed by a Celery worker."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from rollout.models.jobs import BackgroundJob
from rollout.models.versions import Version


class SimulationJob(BackgroundJob):
    """One requested simulation of a version (with an optional baseline) under one demand.

    Identical requests while one is pending or running share it: `request_key` (a hash of the
    version, the baseline and the demand) is unique among the active jobs. The result is the
    body POST /simulate answers; the simulations themselves are cached as `SimulationRun`s.
    """

    version = models.ForeignKey(Version, on_delete=models.CASCADE,
                                related_name="simulation_jobs")
    baseline = models.ForeignKey(Version, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    #: the demand settings given with the request; null: the version's own demand.yaml
    demand = models.JSONField(null=True, blank=True)

    class Meta(BackgroundJob.Meta):
        constraints = [
            models.UniqueConstraint(fields=("request_key",),
                                    condition=Q(state__in=("pending", "running")),
                                    name="simulation_job_once_active"),
        ]
        indexes = [models.Index(fields=("request_key", "-created_at"),
                                name="simulation_job_request")]

    def __str__(self) -> str:
        return f"simulation job {self.id} of {self.version_id} ({self.state})"
