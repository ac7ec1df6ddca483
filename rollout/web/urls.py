"""The operator UI's URLs, namespaced `web:`; each area's module lists its own patterns."""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from rollout.web.views import (
    audit,
    dashboard,
    designs,
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
    # Browsers ask for /favicon.ico whatever the page links: the icon the pages link, from static.
    path("favicon.ico", RedirectView.as_view(url=static("rollout/favicon.ico"), permanent=True),
         name="favicon"),
    *dashboard.urlpatterns,
    *regions.urlpatterns,
    *versions.urlpatterns,
    *simulation.urlpatterns,
    *designs.urlpatterns,
    *planner.urlpatterns,
    *rollouts.urlpatterns,
    *freezes.urlpatterns,
    *audit.urlpatterns,
    *tokens.urlpatterns,
]
