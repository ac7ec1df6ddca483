"""The Django admin: raw data for staff. Versions and audit events are read-only here, because
versions are immutable and the audit log is append-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from rollout.models import (
    Activation,
    AuditEvent,
    FreezeWindow,
    GateResult,
    KpiSnapshot,
    Rollout,
    SimulationRun,
    Version,
    VersionFile,
    WebhookDelivery,
    WebhookSubscription,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionFileInline(admin.StackedInline):
    model = VersionFile
    extra = 0
    fields = ("name", "size", "sha256", "content")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    list_display = ("id", "short_message", "author", "parent", "valid", "error_count",
                    "warning_count", "created_at")
    list_filter = ("valid", "layout")
    search_fields = ("id", "message", "author__username")
    readonly_fields = ("id", "digest", "parent", "author", "message", "created_at", "layout",
                       "valid", "error_count", "warning_count", "stats", "findings_table")
    exclude = ("findings",)
    inlines = (VersionFileInline,)

    @admin.display(description="message")
    def short_message(self, obj: Version) -> str:
        return obj.message.splitlines()[0][:80] if obj.message else ""

    @admin.display(description="findings")
    def findings_table(self, obj: Version) -> str:
        if not obj.findings:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}:{}:{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (f["file"], f["line"], f["column"], f["severity"], f["code"], f["message"],
                 f.get("hint") or "")
                for f in obj.findings
            ),
        )
        return format_html(
            "<table><thead><tr><th>where</th><th>severity</th><th>code</th><th>message</th>"
            "<th>hint</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id", "reason")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "reason", "actor__username")
    date_hierarchy = "at"


@admin.register(SimulationRun)
class SimulationRunAdmin(ReadOnlyAdmin):
    list_display = ("version", "demand_key", "duration_ms", "created_at")
    readonly_fields = ("version", "demand_key", "demand", "result", "duration_ms", "created_at")


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("taken_at", "region", "source", "kind", "version", "source_system")
    list_filter = ("source", "kind", "region")
    readonly_fields = ("region", "version", "source", "kind", "values", "taken_at",
                       "recorded_by", "source_system")


@admin.register(Rollout)
class RolloutAdmin(ReadOnlyAdmin):
    list_display = ("id", "version", "state", "created_by", "approved_by", "started_at",
                    "finished_at")
    list_filter = ("state",)


@admin.register(Activation)
class ActivationAdmin(ReadOnlyAdmin):
    list_display = ("id", "region", "version", "kind", "rollout", "actor", "created_at")
    list_filter = ("region", "kind")


@admin.register(GateResult)
class GateResultAdmin(ReadOnlyAdmin):
    list_display = ("phase", "region", "kpi", "before", "after", "regression_pct", "passed",
                    "source")
    list_filter = ("passed", "kpi")


@admin.register(FreezeWindow)
class FreezeWindowAdmin(ReadOnlyAdmin):
    list_display = ("starts_at", "ends_at", "reason", "created_by")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "url", "events", "active", "created_at")
    exclude = ("secret",)  # never shown back


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "event", "subscription", "status", "attempts", "response_status",
                    "created_at", "delivered_at")
    list_filter = ("status", "event")
