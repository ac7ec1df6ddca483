"""Pages of the operator UI: tokens (not written yet)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
