"""The audit log page: every recorded change, newest first, filtered by who, what and when.

What the filters mean lives in `rollout.web.audit_data`, the reads in `rollout.selectors.audit`.
Each event's details are summarised in one line that names what changed (region codes,
"NE → abc123"), with the full JSON one click away.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse

from rollout.selectors.audit import audit_actions, audit_usernames
from rollout.services.roles import Role
from rollout.web.access import role_required
from rollout.web.audit_data import SYSTEM, audit_events_filtered

PER_PAGE = 50
SUMMARY_CHARS = 160
#: list items shown before "… (+N more)"
LIST_ITEMS = 12
#: keys whose values are versions, where None means "no version": the region is not live
VERSION_KEYS = frozenset({"restored", "from", "to", "version"})
#: object types with a page of their own: (url name, whether the id is an integer)
OBJECT_PAGES = {"version": "web:version_detail", "rollout": "web:rollout_detail",
                "region": "web:region"}


_DAY_RANGE = [MinValueValidator(date(1900, 1, 1)), MaxValueValidator(date(9999, 12, 30))]


class AuditFilterForm(forms.Form):
    who = forms.ChoiceField(required=False, label="Who")
    action = forms.CharField(required=False, max_length=64, label="What (action starts with)")
    # Bounded so that "until the end of that day" (the next midnight) always exists.
    since = forms.DateField(required=False, label="Since (day)", validators=_DAY_RANGE,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Until (day, inclusive)",
                            validators=_DAY_RANGE, widget=forms.DateInput(attrs={"type": "date"}))

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


def summarize(details: object) -> tuple[str, str]:
    """A one-line summary of an event's details, and the full JSON when the line leaves
    something out (a cut line, or anything beyond flat values)."""
    if not details:
        return "", ""
    if isinstance(details, dict):
        line = ", ".join(f"{key}: {_short(value, key=str(key))}" for key, value in details.items())
        nested = any(isinstance(value, list | dict) for value in details.values())
    else:
        line, nested = _short(details), isinstance(details, list)
    full = json.dumps(details, indent=2, sort_keys=True, default=str)
    if len(line) > SUMMARY_CHARS:
        return line[: SUMMARY_CHARS - 1] + "…", full
    return line, full if nested else ""


def _short(value: object, *, key: str = "") -> str:
    """`value` as people read it: lists as their items, mappings as `key → value`."""
    if value is None:
        return "not live" if key in VERSION_KEYS else "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list):
        return _short_list(value, key=key)
    if isinstance(value, dict):
        arrow = key in VERSION_KEYS
        # Sorted: PostgreSQL's jsonb keeps no insertion order, so the same event must read the
        # same on every database.
        items = [f"{k} → {_short(v, key=key)}" if arrow else f"{k}={_scalar(v)}"
                 for k, v in sorted(value.items())]
        return ", ".join(items) if items else "none"
    return str(value)


def _short_list(items: list[Any], *, key: str) -> str:
    if not items:
        return "none"
    if all(isinstance(item, list) for item in items):
        # phases: [["NE", "MA"], ["SE"]] -> "1: NE, MA · 2: SE"
        return " · ".join(f"{number}: {', '.join(map(str, item))}"
                          for number, item in enumerate(items, start=1))
    if all(isinstance(item, dict) for item in items):
        codes = Counter(str(item["code"]) for item in items if "code" in item)
        if codes:
            return ", ".join(code if count == 1 else f"{code} ×{count}"
                             for code, count in sorted(codes.items()))
        return f"{len(items)} entries"
    shown = ", ".join(_short(item, key=key) for item in items[:LIST_ITEMS])
    more = len(items) - LIST_ITEMS
    return shown + (f" … (+{more} more)" if more > 0 else "")


def _scalar(value: object) -> str:
    if isinstance(value, list | dict):
        return f"({len(value)})"
    return "—" if value is None else str(value)


def object_url(object_type: str, object_id: str) -> str | None:
    name = OBJECT_PAGES.get(object_type)
    if name is None:
        return None
    try:
        return reverse(name, args=[int(object_id) if object_id.isdigit() else object_id])
    except NoReverseMatch:  # that page is not wired (yet): show the id without a link
        return None


#: actions whose transaction changed the live network (wrote activations)
CHANGES_LIVE = frozenset({"region.rolled_back", "rollout.phase_activated", "rollout.rolled_back",
                          "demo.went_live"})


def network_links(action: str, at: datetime) -> list[tuple[str, str]]:
    """Links to the dashboard as the network was around an event: just before and just after
    a change of the live network, else as it was then."""
    base = reverse("web:dashboard")
    query = urlencode({"at": at.isoformat()})
    if action in CHANGES_LIVE:
        return [("before", f"{base}?{query}&moment=before"), ("after", f"{base}?{query}")]
    return [("then", f"{base}?{query}")]


@role_required(Role.VIEWER)
def audit_page(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, usernames=audit_usernames())
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    page = Paginator(audit_events_filtered(**filters), PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for event in page.object_list:
        summary, full = summarize(event.details)
        rows.append({"event": event, "summary": summary, "full": full,
                     "url": object_url(event.object_type, event.object_id),
                     "network": network_links(event.action, event.at)})
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(request, "rollout/audit.html", {
        "form": form, "page": page, "rows": rows, "filtered": bool(filters),
        "query": kept.urlencode(), "actions": audit_actions(),
    })


urlpatterns: list[URLPattern] = [
    path("audit/", audit_page, name="audit"),
]
