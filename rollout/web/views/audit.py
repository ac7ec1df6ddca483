"""The audit log page: every recorded change, newest first, filtered by who, what and when.

The filters mean what they mean in GET /api/v1/audit: `who` is a username (or "system" for
events without a user), `action` matches a prefix of the action ("rollout." is every rollout
transition), and the dates bound the day in the site's time zone, both inclusive.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone

from rollout.models import AuditEvent
from rollout.services.roles import Role
from rollout.web.access import role_required

PER_PAGE = 50
SYSTEM = "system"
SUMMARY_CHARS = 140
#: object types with a page of their own: (url name, whether the id is an integer)
OBJECT_PAGES = {"version": "web:version_detail", "rollout": "web:rollout_detail",
                "region": "web:region_detail"}


class AuditFilterForm(forms.Form):
    who = forms.ChoiceField(required=False, label="Who")
    action = forms.CharField(required=False, max_length=64, label="What (action starts with)")
    since = forms.DateField(required=False, label="Since (day)",
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Until (day, inclusive)",
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, usernames: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "anyone"), (SYSTEM, "system (no user)")]
        self.fields["who"].choices = choices + [(name, name) for name in usernames]  # type: ignore[attr-defined]  # a ChoiceField

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError("'Until' is before 'since'.")
        return data


def filtered_events(*, who: str = "", action: str = "", since: date | None = None,
                    until: date | None = None) -> QuerySet[AuditEvent]:
    rows = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if who == SYSTEM:
        rows = rows.filter(actor=None)
    elif who:
        rows = rows.filter(actor__username=who)
    if action:
        rows = rows.filter(action__startswith=action)
    if since:
        rows = rows.filter(at__gte=_start_of(since))
    if until:
        rows = rows.filter(at__lt=_start_of(until + timedelta(days=1)))
    return rows


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def summarize(details: object) -> tuple[str, str]:
    """A one-line summary of an event's details, and the full JSON when the line is cut."""
    if not details:
        return "", ""
    if isinstance(details, dict):
        line = ", ".join(f"{key}: {_short(value)}" for key, value in details.items())
    else:
        line = _short(details)
    full = json.dumps(details, indent=2, sort_keys=True, default=str)
    if len(line) <= SUMMARY_CHARS:
        return line, ""
    return line[: SUMMARY_CHARS - 1] + "…", full


def _short(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return f"[{len(value)} items]" if len(value) > 5 else ", ".join(map(str, value))
    if isinstance(value, dict):
        return f"{{{len(value)} fields}}"
    return str(value)


def object_url(object_type: str, object_id: str) -> str | None:
    name = OBJECT_PAGES.get(object_type)
    if name is None:
        return None
    try:
        return reverse(name, args=[int(object_id) if object_id.isdigit() else object_id])
    except NoReverseMatch:  # that page is not wired (yet): show the id without a link
        return None


@role_required(Role.VIEWER)
def audit_page(request: HttpRequest) -> HttpResponse:
    usernames = list(AuditEvent.objects.exclude(actor=None)
                     .values_list("actor__username", flat=True).distinct()
                     .order_by("actor__username"))
    form = AuditFilterForm(request.GET or None, usernames=usernames)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    page = Paginator(filtered_events(**filters), PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for event in page.object_list:
        summary, full = summarize(event.details)
        rows.append({"event": event, "summary": summary, "full": full,
                     "url": object_url(event.object_type, event.object_id)})
    kept = request.GET.copy()
    kept.pop("page", None)
    actions = (AuditEvent.objects.values_list("action", flat=True).distinct()
               .order_by("action"))
    return render(request, "rollout/audit.html", {
        "form": form, "page": page, "rows": rows, "filtered": bool(filters),
        "query": kept.urlencode(), "actions": list(actions),
    })


urlpatterns: list[URLPattern] = [
    path("audit/", audit_page, name="audit"),
]
