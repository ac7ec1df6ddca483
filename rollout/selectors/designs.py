"""Design jobs for the pages: a user's recent designs (the "Design regions" page lists them)."""

from __future__ import annotations

from django.contrib.auth.models import User

from rollout.models import DesignJob

#: the most recent design jobs listed at once
MAX_RECENT = 100


def design_jobs_recent(*, user: User, limit: int = 20) -> list[DesignJob]:
    """The design jobs `user` requested, newest first (at most `limit`, capped at MAX_RECENT);
    the result JSON is left out (`deferred`): ask `design_job_get` for one job's result."""
    limit = max(1, min(limit, MAX_RECENT))
    return list(DesignJob.objects.filter(requested_by=user).select_related("version")
                .defer("result", "files").order_by("-created_at", "-id")[:limit])
