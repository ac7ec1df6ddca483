"""The django-ninja API's URLs alone (for fast_route to reach the ninja /route view)."""

from django.urls import path

from rollout.api import api

urlpatterns = [path("api/v1/", api.urls)]
