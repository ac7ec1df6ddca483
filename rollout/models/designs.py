"""Design jobs: a region design (optionally with a K sweep) computed by a Celery worker."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from rollout.models.jobs import BackgroundJob
from rollout.models.versions import Version


class DesignJob(BackgroundJob):
    """One requested region design of a version (`rollout.services.design_jobs`).

    `params` are the design's arguments as given (regions, sweep, keep, max_moves, headroom,
    contiguous, balance, keep_routing, time_limit); `result` is the JSON of `manage.py
    design_regions --format json` (with `sweep` when one was asked for). `files` holds the
    proposal's edited files (name -> text: only those that differ from the version's), which
    saving stores as a new version, `saved_version`.
    """

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="design_jobs")
    params = models.JSONField()
    #: 0..1, with a short text saying what the worker is doing (solving K=8, simulating, ...)
    progress = models.FloatField(default=0.0)
    progress_text = models.CharField(max_length=200, blank=True)
    #: when the worker last wrote its progress: a job silent for long is stale (services.jobs)
    progress_at = models.DateTimeField(null=True, blank=True)
    files = models.JSONField(null=True, blank=True)
    saved_version = models.ForeignKey(Version, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")

    class Meta(BackgroundJob.Meta):
        constraints = [
            models.UniqueConstraint(fields=("request_key",),
                                    condition=Q(state__in=("pending", "running")),
                                    name="design_job_once_active"),
        ]
        indexes = [models.Index(fields=("request_key", "-created_at"),
                                name="design_job_request"),
                   models.Index(fields=("requested_by", "-created_at"),
                                name="design_job_requester")]

    def __str__(self) -> str:
        return f"design job {self.id} of {self.version_id} ({self.state})"
