"""What every background job row has (simulation jobs, design jobs): the lifecycle fields that
`rollout.services.jobs` drives. Abstract: each kind of job has its own table."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobState(models.TextChoices):
    PENDING = "pending", "pending"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class BackgroundJob(models.Model):
    """A piece of work a Celery worker does for a request: pending, running, then done (with
    `result`) or failed (with `error`).

    Identical requests while one is pending or running share it: `request_key` (a hash of what
    was asked) is unique among the active jobs of a kind (each concrete model declares that
    constraint, whose name must be its own). A worker killed mid-run leaves the job running;
    the sweep or the redelivered message starts it again, up to a limit (`attempts`).
    """

    State = JobState
    ACTIVE = (JobState.PENDING, JobState.RUNNING)

    request_key = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=JobState.choices, default=JobState.PENDING)
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
        abstract = True
