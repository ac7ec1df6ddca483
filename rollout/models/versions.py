"""Versions: immutable, content-addressed bundles and their files."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Version(models.Model):
    """An immutable, content-addressed bundle: the raw files as written, and what the checks
    found in them. `id` is a short prefix of `digest`, the sha256 of the canonical form."""

    class Layout(models.TextChoices):
        DIRECTORY = "directory", "directory of section files"
        SINGLE = "single", "single file"

    id = models.CharField(primary_key=True, max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="versions",
    )
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    layout = models.CharField(max_length=16, choices=Layout.choices)
    valid = models.BooleanField()
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    findings = models.JSONField(default=list, blank=True)
    #: counts for lists and pages: zones, facilities, lanes, regions, routes, bytes
    stats = models.JSONField(default=dict, blank=True)
    #: where the files came from when imported from Git (empty otherwise): the repository as
    #: given, the ref asked for, the commit it named then, and the folder or file in it
    git_repository = models.CharField(max_length=500, blank=True)
    git_ref = models.CharField(max_length=255, blank=True)
    git_commit = models.CharField(max_length=64, blank=True, db_index=True)
    git_path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        first_line = self.message.splitlines()[0] if self.message else ""
        return f"{self.id} {first_line}"


class VersionFile(models.Model):
    """One file of a version, byte for byte as imported (UTF-8 text, comments and all)."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ("version", "name")
        constraints = [
            models.UniqueConstraint(fields=("version", "name"), name="version_file_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.version_id}/{self.name}"
