"""Django system checks: broken configuration fails at start-up (STYLE.md rule 6)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


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
    return errors
