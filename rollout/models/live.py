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

    def __str__(self) -> str:
        return f"live state lock (last taken {self.taken_at})"


class RouteTableRecord(models.Model):
    """A stored version's route table (`rollout.domain.live_table.RouteTable`), computed once:
    versions are immutable."""

    version = models.OneToOneField("rollout.Version", primary_key=True, on_delete=models.CASCADE,
                                   related_name="+")
    data = models.BinaryField()
    built_ms = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"route table of version {self.version_id}"


class LiveStateRecord(models.Model):
    """The live state's routes at one activation (`rollout.domain.live_table.LiveTable`),
    written by the transaction that wrote that activation, read by every other process."""

    at_activation = models.BigIntegerField(primary_key=True)
    data = models.BinaryField()
    #: the check catalogue's findings over this state's composite, by scope (JSON), stored by
    #: the first process that checked it, so a new process checks only what a change touches
    findings = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"live state at activation {self.at_activation}"


class GitMirrorState(models.Model):
    """How far the Git mirror of the live state got (one row): the sequence its branch holds,
    the one its remote holds, and the last error (empty once a sync succeeds)."""

    sequence = models.BigIntegerField(default=0)
    pushed_sequence = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"git mirror at sequence {self.sequence}"
