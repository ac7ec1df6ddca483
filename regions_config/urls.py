from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from rollout.api import api, fast_route
from rollout.api.metrics import metrics_view
from rollout.services.git_mirror import git_mirror_status


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness probe: needs no token (DESIGN section 7). With a Git mirror, how far behind
    the live state it is (its lag in live states, and its last error)."""
    body: dict[str, object] = {"status": "ok"}
    mirror = git_mirror_status()
    if mirror is not None:  # the error text itself is for signed-in people (it may name hosts)
        body["git_mirror"] = {"lag": mirror["lag"], "sequence": mirror["sequence"],
                              "live_sequence": mirror["live_sequence"],
                              "failing": bool(mirror["error"])}
    return JsonResponse(body)


urlpatterns = [
    path("admin/", admin.site.urls),
    # The hot read of other systems, in front of the ninja API (see rollout/api/fast_route.py).
    path("api/v1/route", fast_route.route),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("rollout.web.urls")),
]
