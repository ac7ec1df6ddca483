from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.generic import RedirectView

from rollout.api import api


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness probe: needs no token (DESIGN section 7)."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    # Until the operator UI exists, the admin is where versions and their findings are seen.
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
]
