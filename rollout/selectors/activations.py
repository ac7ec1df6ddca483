"""Activations as the pages read them: a region's history, and given activations with what
their summaries name (the live state itself is `rollout.services.live`)."""

from __future__ import annotations

from rollout.models import Activation


def activation_list(*, region: str, limit: int | None = None) -> list[Activation]:
    """The region's activations, newest first (the newest `limit` if given), each with its
    version, rollout, phase, actor and the activation it restored loaded: one query."""
    rows = (Activation.objects.filter(region=region)
            .select_related("version", "rollout", "phase", "actor", "restores").order_by("-id"))
    return list(rows if limit is None else rows[:limit])


def activation_list_by_id(*, ids: list[int]) -> list[Activation]:
    """The activations with those ids (unknown ids are left out) with their version, actor and
    phase loaded: one query."""
    return list(Activation.objects.filter(id__in=ids).select_related("version", "actor", "phase"))
