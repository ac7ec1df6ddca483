"""The operator UI's URLs, namespaced `web:`; each area's module lists its own patterns."""

from __future__ import annotations

from rollout.web.views import (
    audit,
    dashboard,
    freezes,
    planner,
    regions,
    rollouts,
    simulation,
    tokens,
    versions,
)

app_name = "web"

urlpatterns = [
    *dashboard.urlpatterns,
    *regions.urlpatterns,
    *versions.urlpatterns,
    *simulation.urlpatterns,
    *planner.urlpatterns,
    *rollouts.urlpatterns,
    *freezes.urlpatterns,
    *audit.urlpatterns,
    *tokens.urlpatterns,
]
