"""Django system checks: broken configuration fails at start-up (STYLE.md rule 6)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def check_settings(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.RRM_MAX_FILE_BYTES <= 0:
        errors.append(
            Error("RRM_MAX_FILE_BYTES must be positive.", id="rollout.E001")
        )
    if getattr(settings, "RRM_ENV", "local") == "production" and settings.SECRET_KEY.startswith(
        "insecure-"
    ):
        errors.append(
            Error(
                "SECRET_KEY is the embedded development key.",
                hint="Set SECRET_KEY in the environment for production.",
                id="rollout.E002",
            )
        )
    errors.extend(_prometheus_queries())
    return errors


def _prometheus_queries() -> list[CheckMessage]:
    """RRM_PROMETHEUS_QUERIES: every problem of the file at its file:line:column."""
    from rollout.services.gate_sources import prometheus_queries_file

    if not settings.RRM_PROMETHEUS_QUERIES:
        return []
    found: list[CheckMessage] = [
        Error(f"RRM_PROMETHEUS_QUERIES: {problem.as_text()}", id="rollout.E003",
              hint="fix the file: a mapping `kpis:` of KPI names to queries naming $region")
        for problem in prometheus_queries_file().errors]
    if not settings.RRM_PROMETHEUS_URL:
        found.append(Warning("RRM_PROMETHEUS_QUERIES is set but RRM_PROMETHEUS_URL is not: "
                             "no gate reads the queries.", id="rollout.W003",
                             hint="set RRM_PROMETHEUS_URL to Prometheus's base URL"))
    return found


@register(deploy=True)
def check_deployment(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """What `manage.py check --deploy` adds to Django's own security checks."""
    warnings: list[CheckMessage] = []
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.RRM_WRITE_RATE_PER_MINUTE > 0 and backend.endswith("LocMemCache"):
        warnings.append(Warning(
            "The API's write rate limit is counted in each process's memory: with several web "
            "processes a token may write that many times more.",
            hint="Set CACHE_URL=redis://HOST:6379/N (a database apart from the broker's) so "
                 "every process shares the count.",
            id="rollout.W001",
        ))
    if settings.RRM_WEBHOOK_ALLOW_PRIVATE:
        warnings.append(Warning(
            "RRM_WEBHOOK_ALLOW_PRIVATE is on: webhook subscriptions may reach loopback, private "
            "and link-local addresses (this server, its database, cloud metadata).",
            hint="Leave RRM_WEBHOOK_ALLOW_PRIVATE unset in production.",
            id="rollout.W002",
        ))
    return warnings
