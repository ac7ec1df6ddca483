"""A region's page: its activation history with the KPIs recorded around each activation, its
zones on a small map, and (for operators) a rollback of this region alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from rollout.domain.findings import Finding
from rollout.domain.simulate import KPI_NAMES
from rollout.models import Activation, KpiSnapshot, Version
from rollout.services.activations import ActivationRefused, live_state, region_rollback
from rollout.services.roles import Role, RoleRequired, has_role
from rollout.web.access import role_required
from rollout.web.charts import Pair, before_after_bars
from rollout.web.live_data import (
    KPI_LABELS,
    ActivationKpis,
    KpiCell,
    kpi_cell,
    live_map,
    region_map,
    rollout_url,
    snapshots_by_activation,
    version_url,
)

#: KPIs charted together: each group shares a scale, so its bars compare honestly.
CHART_GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Shares", ("in_region_pct", "fill_pct"), "%"),
    ("Trucks and lanes", ("trucks", "active_lanes"), ""),
    ("Distance per package (km)", ("avg_km",), ""),
    ("Time per package (hours)", ("avg_hours",), ""),
    ("Packages", ("packages", "cross_region_packages", "unfulfilled_items"), ""),
)
#: shorter labels where the chart's label column (120 units) would cut the long one
CHART_LABELS = {"cross_region_packages": "cross-region", "unfulfilled_items": "unfulfilled"}
HISTORY_LIMIT = 50
NOT_LIVE = "none"


@dataclass
class HistoryItem:
    activation: Activation
    version_url: str
    rollout_url: str
    current: bool
    kpis: ActivationKpis
    charts: list[SafeString] = field(default_factory=list)
    cells: list[KpiCell] = field(default_factory=list)
    observations: list[KpiSnapshot] = field(default_factory=list)


class RollbackForm(forms.Form):
    version = forms.ChoiceField(label="Restore")
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = choices  # type: ignore[attr-defined]  # ChoiceField


@role_required(Role.VIEWER)
def region(request: HttpRequest, code: str) -> HttpResponse:
    return _render(request, code)


@role_required(Role.OPERATOR)  # first: anonymous visitors go to the login page, even on GET
@require_POST
def region_rollback_view(request: HttpRequest, code: str) -> HttpResponse:
    history = _activations(code)
    if not history:
        raise Http404(f"region {code} has never been live")
    form = RollbackForm(request.POST, choices=_choices(code, history))
    if not form.is_valid():
        messages.error(request, "The rollback needs a version to restore and a reason.")
        return _render(request, code, form=form, status=400)
    chosen = form.cleaned_data["version"]
    version = None if chosen == NOT_LIVE else Version.objects.get(id=chosen)
    actor = request.user if isinstance(request.user, User) else None
    try:
        activation = region_rollback(region=code, version=version,
                                     reason=form.cleaned_data["reason"], actor=actor)
    except ActivationRefused as exc:
        messages.error(request, f"Rollback refused: {exc}")
        return _render(request, code, form=form, findings=exc.findings, status=409)
    except RoleRequired as exc:
        messages.error(request, f"Rollback refused: {exc}")
        return _render(request, code, form=form, status=403)
    target = f"version {version.id}" if version else "not live"
    messages.success(request, f"Region {code} rolled back to {target} "
                              f"(activation #{activation.id}).")
    return redirect("web:region", code=code)


def _activations(code: str) -> list[Activation]:
    return list(Activation.objects.filter(region=code)
                .select_related("version", "rollout", "phase", "actor", "restores")
                .order_by("-id")[:HISTORY_LIMIT])


def _choices(code: str, history: list[Activation]) -> list[tuple[str, str]]:
    """Versions this region has been on (newest first), except the current one; "not live"."""
    current = history[0].version_id if history else None
    seen: dict[str, Activation] = {}
    for activation in Activation.objects.filter(region=code).exclude(version=None) \
            .select_related("version").order_by("-id"):
        assert activation.version is not None
        seen.setdefault(activation.version.id, activation)
    choices = [(vid, f"{vid} · {a.version.message.splitlines()[0][:50] if a.version else ''}")
               for vid, a in seen.items() if vid != current]
    if current is not None:
        choices.append((NOT_LIVE, "not live (take the region out of service)"))
    return choices


def _render(request: HttpRequest, code: str, *, form: RollbackForm | None = None,
            findings: list[Finding] | None = None, status: int = 200) -> HttpResponse:
    state = live_state()
    live = live_map(state)
    history = _activations(code)
    if not history and code not in live.names:
        raise Http404(f"no region {code}")
    colour = live.colours.get(code, "#7f7f7f")
    items = _history_items(code, history)
    current = history[0] if history else None
    current_label = (current.version_id or "not live") if current else "never live"
    choices = _choices(code, history) if current else []
    can_roll_back = has_role(request.user if isinstance(request.user, User) else None,
                             Role.OPERATOR)
    if form is None and choices and can_roll_back:
        form = RollbackForm(choices=choices, initial={"version": _default_choice(history,
                                                                                 choices)})
    confirm = {value: f"Roll back region {code}: from {current_label} to "
                      f"{'not live' if value == NOT_LIVE else 'version ' + value}?"
               for value, _ in choices}
    context = {
        "code": code,
        "name": live.names.get(code, code),
        "colour": colour,
        "current": current,
        "current_label": current_label,
        "current_url": version_url(current.version_id) if current and current.version_id
        else "",
        "zones_live": sum(1 for owner in state.composite.zone_owner.values() if owner == code),
        "items": items,
        "map": region_map(code, colour, state),
        "form": form if can_roll_back else None,
        "options": [(value, label, confirm[value]) for value, label in choices],
        "selected": (form["version"].value() if form is not None else None),
        "findings": findings or [],
        "limit": HISTORY_LIMIT,
    }
    return render(request, "rollout/region.html", context, status=status)


def _default_choice(history: list[Activation], choices: list[tuple[str, str]]) -> str:
    """The version the region had before its current one, when that is a choice."""
    values = {value for value, _ in choices}
    for activation in history[1:]:
        value = activation.version_id or NOT_LIVE
        if value in values:
            return value
    return choices[0][0]


def _history_items(code: str, history: list[Activation]) -> list[HistoryItem]:
    if not history:
        return []
    oldest = min(a.created_at for a in history)
    stamps = [a.phase.activated_at for a in history if a.phase and a.phase.activated_at]
    earliest = min([oldest, *stamps])
    snapshots = list(KpiSnapshot.objects.filter(region=code, taken_at__gte=earliest)
                     .order_by("-taken_at", "-id")[:1000])
    matched = snapshots_by_activation(history, snapshots)
    observed = [s for s in snapshots if s.source == KpiSnapshot.Source.OBSERVED
                and s.kind == KpiSnapshot.Kind.POINT]
    items = []
    newer_start = None
    for index, activation in enumerate(history):  # newest first
        start = activation.created_at
        kpis = matched[activation.id]
        item = HistoryItem(
            activation=activation,
            version_url=version_url(activation.version_id) if activation.version_id else "",
            rollout_url=rollout_url(activation.rollout_id) if activation.rollout_id else "",
            current=index == 0, kpis=kpis,
            observations=[s for s in observed if s.taken_at >= start
                          and (newer_start is None or s.taken_at < newer_start)][:10])
        if kpis.before or kpis.after:
            item.cells = [kpi_cell(name, *_pair(kpis, name)) for name in KPI_NAMES]
        if kpis.before and kpis.after:
            item.charts = _charts(code, activation, kpis)
        items.append(item)
        newer_start = start
    return items


def _pair(kpis: ActivationKpis, name: str) -> tuple[float | None, float | None, bool]:
    before, after, observed = kpis.pick(name)
    return after, before, observed


def _charts(code: str, activation: Activation, kpis: ActivationKpis) -> list[SafeString]:
    charts = []
    for title, names, unit in CHART_GROUPS:
        pairs = []
        for name in names:
            before, after, _ = kpis.pick(name)
            if before is not None or after is not None:
                pairs.append(Pair(CHART_LABELS.get(name, KPI_LABELS[name]), before, after))
        if pairs:
            charts.append(before_after_bars(
                pairs, title=f"{code} activation #{activation.id}: {title}", unit=unit,
                width=420, before_label="before", after_label="after"))
    return charts


urlpatterns: list[URLPattern] = [
    path("regions/<str:code>/", region, name="region"),
    path("regions/<str:code>/rollback/", region_rollback_view, name="region_rollback"),
]
