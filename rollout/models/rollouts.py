"""Rollouts, their phases, gates and events; activations (append-only); change freezes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rollout.domain.lifecycle import PhaseState, State
from rollout.models.versions import Version


class Rollout(models.Model):
    """A valid version taken to a list of phases (DESIGN section 6)."""

    class OnGateFailure(models.TextChoices):
        ROLLBACK = "rollback", "roll back"
        PAUSE = "pause", "pause"

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="rollouts")
    state = models.CharField(max_length=16, choices=[(s.value, s.value) for s in State],
                             default=State.DRAFT.value, db_index=True)
    on_gate_failure = models.CharField(max_length=8, choices=OnGateFailure.choices,
                                       default=OnGateFailure.ROLLBACK)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="rollouts_created")
    created_at = models.DateTimeField(default=timezone.now)
    #: sha256 of the plan (version, phases, gates, schedule, failure policy)
    plan_digest = models.CharField(max_length=64)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="rollouts_approved")
    approved_at = models.DateTimeField(null=True, blank=True)
    #: the plan digest the approval binds; a different current digest voids the approval
    approved_digest = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: when the engine should next look at this rollout (the sweep's index)
    next_step_at = models.DateTimeField(null=True, blank=True, db_index=True)
    #: region code -> id of its latest activation when the rollout started (None: not live)
    baseline = models.JSONField(default=dict, blank=True)
    rollback_reason = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"rollout {self.pk} of {self.version_id} ({self.state})"


class Phase(models.Model):
    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="phases")
    index = models.PositiveIntegerField()
    regions = models.JSONField()
    bake_minutes = models.FloatField(default=60)
    start_after = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=[(s.value, s.value) for s in PhaseState],
                             default=PhaseState.PENDING.value)
    activated_at = models.DateTimeField(null=True, blank=True)
    bake_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    freeze_override_reason = models.TextField(blank=True)
    freeze_override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    #: the "before" readings from Prometheus taken at activation, for the gates that read it:
    #: {region: {kpi: {"query", "at" (ISO 8601), "value" (None when failed), "error"}}}
    prometheus_before = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("rollout", "index")
        constraints = [models.UniqueConstraint(fields=("rollout", "index"), name="phase_index")]

    def __str__(self) -> str:
        return f"phase {self.index + 1} of rollout {self.rollout_id}: {','.join(self.regions)}"


class Gate(models.Model):
    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="gates")
    kpi = models.CharField(max_length=32)
    max_regression_pct = models.FloatField()
    #: the rollout's own Prometheus query template for this KPI ("" for none: the queries
    #: file's, else posted values; rollout.services.gate_sources)
    query = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.kpi} may regress at most {self.max_regression_pct}%"


class GateResult(models.Model):
    """One gate judged for one region after a bake, with the numbers it compared."""

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="gate_results")
    region = models.CharField(max_length=32)
    kpi = models.CharField(max_length=32)
    before = models.FloatField(null=True, blank=True)
    after = models.FloatField(null=True, blank=True)
    regression_pct = models.FloatField(null=True, blank=True)
    max_regression_pct = models.FloatField()
    passed = models.BooleanField()
    source = models.CharField(max_length=16)  # observed | simulation | prometheus
    #: for an observed value: the observation it came from (who posted it, with which token)
    observation = models.ForeignKey("rollout.KpiSnapshot", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True)
    evaluated_at = models.DateTimeField(default=timezone.now)
    #: for source prometheus: the query asked (the region filled in) and the instants of the
    #: "before" (at activation) and "after" (at bake end) readings
    query = models.TextField(blank=True)
    before_at = models.DateTimeField(null=True, blank=True)
    after_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.region} {self.kpi}: {'pass' if self.passed else 'FAIL'}"


class RolloutEvent(models.Model):
    """The rollout's own timeline (the audit log holds the same changes for everything)."""

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32)
    message = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind}: {self.message}"


class Activation(models.Model):
    """Append-only: a region put on a version (or taken out of service: version None).

    The latest activation of a region (highest id) is that region's active version; a rollback
    is a new activation pointing back to the earlier version.
    """

    class Kind(models.TextChoices):
        ACTIVATE = "activate", "activation"
        ROLLBACK = "rollback", "rollback of a rollout"
        REGION_ROLLBACK = "region_rollback", "rollback of one region"

    region = models.CharField(max_length=32)
    version = models.ForeignKey(Version, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="activations")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ACTIVATE)
    rollout = models.ForeignKey(Rollout, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="activations")
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="activations")
    restores = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=("region", "-id"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.region} -> {self.version_id or 'not live'} ({self.kind})"


class FreezeWindow(models.Model):
    """A change freeze: no phase starts inside it unless an operator overrides, with reason."""

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("starts_at",)
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="freeze_ends_after_start")]

    def __str__(self) -> str:
        return f"freeze {self.starts_at:%Y-%m-%d} to {self.ends_at:%Y-%m-%d}: {self.reason}"
