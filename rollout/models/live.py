"""The live state's lock: one row that every write to the live state takes first."""

from __future__ import annotations

from django.db import models


class LiveLock(models.Model):
    """A single row (id 1). Activations, one-click and region rollbacks update it inside their
    transaction before checking what they will leave live, so no two such checks can both pass
    against the same state: a row lock on PostgreSQL, the database write lock on SQLite."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "live state lock"
