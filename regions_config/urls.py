from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.generic import RedirectView

from rollout.api import api, fast_route


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness probe: needs no token (DESIGN section 7)."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    # The hot read of other systems, in front of the ninja API (see rollout/api/fast_route.py).
    path("api/v1/route", fast_route.route),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    # Until the operator UI exists, the admin is where versions and their findings are seen.
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
]
