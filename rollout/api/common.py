"""Small helpers shared by the routers: pagination bounds and response shapes."""

from __future__ import annotations

from typing import Any

from rollout.models import Version

MAX_LIMIT = 500


MAX_OFFSET = 2**62  # the database's integers end at 2**63


def bounds(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_LIMIT)), max(0, min(offset, MAX_OFFSET))


def version_out(version: Version, *, with_findings: bool = True) -> dict[str, Any]:
    return {
        "id": version.id,
        "message": version.message,
        "author": version.author.username if version.author else None,
        "parent": version.parent_id,
        "created_at": version.created_at,
        "valid": version.valid,
        "errors": version.error_count,
        "warnings": version.warning_count,
        "files": sorted(version.files.values_list("name", flat=True)),
        "stats": version.stats,
        "findings": version.findings if with_findings else [],
        "git": ({"repository": version.git_repository, "ref": version.git_ref,
                 "commit": version.git_commit, "path": version.git_path}
                if version.git_commit else None),
    }
