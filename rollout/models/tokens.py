"""API tokens: random, shown once, stored as a hash, with a role, an expiry and revocation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    #: the public part of the token (`rrm_<prefix>_<secret>`), to find the row without the secret
    prefix = models.CharField(max_length=16, unique=True)
    #: sha256 of the whole token; the token itself is never stored
    hashed = models.CharField(max_length=64)
    role = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.prefix} ({self.user_id}, {self.role})"
