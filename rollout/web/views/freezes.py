"""The change-freeze page: windows open now, upcoming and recently over, with the rollouts each
open window holds; approvers create a window and end (or cancel) one early.

Times are typed and shown as "YYYY-MM-DD HH:MM", 24-hour, in the server's zone (UTC), like the
planner's earliest start. The services judge every change (and check the role again).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.lifecycle import (
    FreezeView,
    PhaseState,
    PhaseView,
    State,
    next_step,
)
from rollout.models import AuditEvent, FreezeWindow, Rollout
from rollout.selectors.audit import audit_freezes_cancelled
from rollout.selectors.freezes import freeze_window_list, freeze_window_list_over
from rollout.selectors.rollouts import rollout_list_started
from rollout.services.freezes import freeze_create, freeze_end
from rollout.services.roles import Role
from rollout.web.access import actor_of, forbidden, role_required
from rollout.web.errors import page_message, page_status
from rollout.web.rollout_forms import DATETIME_INPUTS, DATETIME_SHOWN, StartField

#: how far back the page lists windows that are over (and cancellations)
RECENT = timedelta(days=30)
RECENT_LIMIT = 20

_TIME_ATTRS = {"placeholder": "YYYY-MM-DD HH:MM", "autocomplete": "off", "spellcheck": "false",
               "size": 17}


class FreezeForm(forms.Form):
    starts_at = StartField(label="Starts (UTC)", input_formats=DATETIME_INPUTS,
                           widget=forms.DateTimeInput(format=DATETIME_SHOWN, attrs=_TIME_ATTRS),
                           help_text="YYYY-MM-DD HH:MM, 24-hour")
    ends_at = StartField(label="Ends (UTC)", input_formats=DATETIME_INPUTS,
                         widget=forms.DateTimeInput(format=DATETIME_SHOWN, attrs=_TIME_ATTRS),
                         help_text="YYYY-MM-DD HH:MM, 24-hour")
    reason = forms.CharField(label="Reason", max_length=2000,
                             help_text="Why no phase may start then, e.g. “holiday peak”.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if isinstance(starts, datetime) and isinstance(ends, datetime) and ends <= starts:
            self.add_error("ends_at", "The freeze must end after it starts.")
        if "reason" in data and not str(data["reason"]).strip():
            self.add_error("reason", "Say why there is a freeze.")
        return data


def held_rollouts(windows: list[FreezeWindow], now: datetime) -> dict[int, list[Rollout]]:
    """Window id -> the running or paused rollouts whose next phase that window holds now.

    Asks the engine's own rule (lifecycle.next_step) with only that window, so a paused rollout
    counts as held if it would be on resume. Two queries, whatever the number of rollouts.
    """
    open_windows = [w for w in windows if w.starts_at <= now < w.ends_at]
    if not open_windows:
        return {}
    rollouts = rollout_list_started()
    held: dict[int, list[Rollout]] = {w.id: [] for w in open_windows}
    for rollout in rollouts:
        phases = list(rollout.phases.all())
        views = [PhaseView(p.index, PhaseState(p.state), p.start_after, p.bake_until)
                 for p in phases]
        overridden = frozenset(p.index for p in phases if p.freeze_override_reason)
        for w in open_windows:
            step = next_step(State.RUNNING, views, now, [FreezeView(w.starts_at, w.ends_at)],
                             overridden)
            if step.reason == "change freeze":
                held[w.id].append(rollout)
    return held


def _page(request: HttpRequest, form: FreezeForm, *, status: int = 200) -> HttpResponse:
    now = timezone.now()
    current = freeze_window_list(now=now)
    past = freeze_window_list_over(now=now, since=now - RECENT, limit=RECENT_LIMIT)
    # a cancelled window is deleted (services.freezes.freeze_end): its audit row remembers it
    cancelled = [_cancelled(e) for e in
                 audit_freezes_cancelled(since=now - RECENT, limit=RECENT_LIMIT)]
    held = held_rollouts(current, now)
    open_now = [{"window": w, "held": held.get(w.id, [])} for w in current if w.starts_at <= now]
    upcoming = [{"window": w} for w in current if w.starts_at > now]
    return render(request, "rollout/freezes.html", {
        "form": form, "open_now": open_now, "upcoming": upcoming, "past": past,
        "cancelled": cancelled, "now": now, "recent_days": RECENT.days,
    }, status=status)


def _cancelled(event: AuditEvent) -> dict[str, Any]:
    details = event.details if isinstance(event.details, dict) else {}
    return {"id": event.object_id, "at": event.at, "reason": event.reason,
            "actor": getattr(event.actor, "username", None),
            "starts_at": _when(details.get("starts_at")), "ends_at": _when(details.get("ends_at")),
            "freeze_reason": details.get("freeze_reason", ""),
            "created_by": details.get("created_by")}


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


@role_required(Role.VIEWER)
def freezes_page(request: HttpRequest) -> HttpResponse:
    return _page(request, FreezeForm())


@role_required(Role.APPROVER)  # first, so that anonymous visitors are sent to log in
@require_POST
def freeze_create_view(request: HttpRequest) -> HttpResponse:
    form = FreezeForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        window = freeze_create(starts_at=data["starts_at"], ends_at=data["ends_at"],
                               reason=data["reason"].strip(), actor=actor_of(request))
    except RolloutError as exc:
        if exc.kind is ErrorKind.FORBIDDEN:
            return forbidden(request, page_message(exc))
        messages.error(request, page_message(exc))
        return _page(request, form, status=page_status(exc))
    messages.success(request, f"Freeze created: no phase starts from "
                              f"{window.starts_at:%Y-%m-%d %H:%M} to "
                              f"{window.ends_at:%Y-%m-%d %H:%M} UTC.")
    return redirect("web:freezes")


@role_required(Role.APPROVER)
@require_POST
def freeze_end_view(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("window", "")
    if not (text.isascii() and text.isdigit() and len(text) <= 18):  # an id fits a bigint
        messages.error(request, "Pick the freeze window to end.")
        return redirect("web:freezes")
    window_id = int(text)
    reason = request.POST.get("reason", "").strip()
    try:
        ended = freeze_end(window_id=window_id, reason=reason, actor=actor_of(request))
    except RolloutError as exc:  # refused, or no such window: said on the page it came from
        if exc.kind is ErrorKind.FORBIDDEN:
            return forbidden(request, page_message(exc))
        messages.error(request, page_message(exc))
        return redirect("web:freezes")
    if ended is None:
        messages.success(request, f"Freeze window {window_id} cancelled before it started.")
    else:
        messages.success(request, f"Freeze window {window_id} ended now: held phases start as "
                                  "soon as a worker picks up their rollouts.")
    return redirect("web:freezes")


urlpatterns: list[URLPattern] = [
    path("freezes/", freezes_page, name="freezes"),
    path("freezes/new/", freeze_create_view, name="freeze_create"),
    path("freezes/end/", freeze_end_view, name="freeze_end"),
]
