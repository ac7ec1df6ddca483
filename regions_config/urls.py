from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

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
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("rollout.web.urls")),
]
