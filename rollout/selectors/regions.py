"""Regions the site knows of (regions have no table: versions define them)."""

from __future__ import annotations

from rollout.models import Version


def known_region_codes() -> set[str]:
    """Region codes defined by any valid stored version: one query for the distinct lists of
    codes (most versions share one), not every version's whole stats."""
    codes: set[str] = set()
    for listed in (Version.objects.filter(valid=True).order_by()
                   .values_list("stats__region_codes", flat=True).distinct()):
        if isinstance(listed, list):
            codes.update(listed)
    return codes
