"""A region's page: its activation history with the KPIs recorded around each activation, its
zones on a small map, and (for operators) a rollback of this region alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from rollout.domain.errors import RolloutError
from rollout.domain.findings import Finding
from rollout.domain.kpis import KPI_LABELS
from rollout.domain.simulate import KPI_NAMES
from rollout.models import Activation, KpiSnapshot
from rollout.selectors.activations import activation_list
from rollout.selectors.kpis import kpi_snapshot_list_since
from rollout.selectors.versions import version_get
from rollout.services.activations import region_rollback
from rollout.services.live import live_state
from rollout.services.roles import Role, role_held
from rollout.web.access import actor_of, role_required
from rollout.web.charts import Pair, before_after_bars
from rollout.web.errors import page_status
from rollout.web.kpi_data import (
    ActivationKpis,
    KpiCell,
    kpi_cell,
    snapshots_by_activation,
)
from rollout.web.live_data import (
    ActivationSummary,
    activation_summary,
    live_map,
    region_map,
    version_url,
)
from rollout.web.rollout_data import when

#: KPIs charted together: each group shares a scale, so its bars compare honestly.
CHART_GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Shares", ("in_region_pct", "fill_pct"), "%"),
    ("Trucks and lanes", ("trucks", "active_lanes"), ""),
    ("Distance per package (km)", ("avg_km",), ""),
    ("Time per package (hours)", ("avg_hours",), ""),
    ("Packages", ("packages", "cross_region_packages", "unfulfilled_items"), ""),
)
HISTORY_LIMIT = 50
NOT_LIVE = "none"


@dataclass(frozen=True)
class RestoreOption:
    """One choice of the rollback form: a version the region was on (or "not live")."""

    value: str
    version_id: str
    message: str
    note: str  # when it was last live here
    confirm: str


@dataclass
class HistoryItem:
    activation: Activation
    version_url: str
    how: ActivationSummary
    current: bool
    kpis: ActivationKpis
    charts: list[SafeString] = field(default_factory=list)
    cells: list[KpiCell] = field(default_factory=list)
    observations: list[KpiSnapshot] = field(default_factory=list)


class RollbackForm(forms.Form):
    # no initial value, ever: the operator picks what to restore (a preselected version was
    # once the one a rollout had just removed, so a hasty click re-applied it)
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
    seen = request.POST.get("seen", "")
    if seen and seen != str(history[0].id):
        # The confirmation named the change from the version live when the page was loaded;
        # if the region moved since (a phase, another operator), that is not what was agreed.
        latest = history[0]
        messages.error(request, f"Region {code} changed since this page was loaded: it is now "
                                f"on {latest.version_id or 'not live'} (activation "
                                f"#{latest.id}). Nothing was rolled back; check the page and "
                                f"confirm again.")
        return _render(request, code, form=form, status=409)
    if not form.is_valid():
        messages.error(request, "The rollback needs a version to restore and a reason.")
        return _render(request, code, form=form, status=400)
    chosen = form.cleaned_data["version"]
    version = None if chosen == NOT_LIVE else version_get(ref=chosen)
    actor = actor_of(request)
    try:
        activation = region_rollback(region=code, version=version,
                                     reason=form.cleaned_data["reason"], actor=actor)
    except RolloutError as exc:
        messages.error(request, f"Rollback refused: {exc}")
        return _render(request, code, form=form, findings=exc.findings, status=page_status(exc))
    target = f"version {version.id}" if version else "not live"
    messages.success(request, f"Region {code} rolled back to {target} "
                              f"(activation #{activation.id}).")
    return redirect("web:region", code=code)


def _activations(code: str) -> list[Activation]:
    return activation_list(region=code, limit=HISTORY_LIMIT)


def _choices(code: str, history: list[Activation]) -> list[tuple[str, str]]:
    """Versions this region has been on (newest first), except the current one; "not live"."""
    return [(o.value, o.version_id or o.message) for o in _options(code, history)]


def _options(code: str, history: list[Activation]) -> list[RestoreOption]:
    """The rollback form's choices, newest first, each with when it was last live here."""
    current = history[0] if history else None
    current_label = (current.version_id or "not live") if current else "never live"
    ended: dict[str, Activation] = {}  # version -> the activation that replaced its last stint
    newer: Activation | None = None
    last: dict[str, Activation] = {}
    for activation in activation_list(region=code):
        if activation.version_id is not None and activation.version_id not in last:
            last[activation.version_id] = activation
            if newer is not None:
                ended[activation.version_id] = newer
        newer = activation
    options = []
    for vid, activation in last.items():
        if current is not None and vid == current.version_id:
            continue
        assert activation.version is not None
        message = activation.version.message.splitlines()[0] if activation.version.message \
            else ""
        until = ended.get(vid)
        note = f"live here until {when(until.created_at)}" if until else ""
        options.append(RestoreOption(vid, vid, message, note,
                                     f"Roll back region {code}: from {current_label} to "
                                     f"version {vid}?"))
    if current is not None and current.version_id is not None:
        options.append(RestoreOption(NOT_LIVE, "", "not live (take the region out of service)",
                                     "", f"Roll back region {code}: from {current_label} to "
                                         "not live?"))
    return options


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
    options = _options(code, history) if current else []
    can_roll_back = role_held(user=actor_of(request), role=Role.OPERATOR)
    if form is None and options and can_roll_back:
        form = RollbackForm(choices=[(o.value, o.version_id or o.message) for o in options])
    drawn = region_map(code, live.colours, state)
    context = {
        "code": code,
        "name": live.names.get(code, code),
        "colour": colour,
        "current": current,
        "current_label": current_label,
        "current_url": version_url(current.version_id) if current and current.version_id
        else "",
        "since": when(current.created_at) if current else "",
        "how": activation_summary(current) if current else None,
        "zones_live": sum(1 for owner in state.composite.zone_owner.values() if owner == code),
        "items": items,
        "map": drawn.map,
        "elsewhere": sorted(drawn.elsewhere.items()),
        "newest": drawn.newest,
        "form": form if can_roll_back else None,
        "options": options,
        # only what the operator chose (a form sent back with an error keeps it), never a default
        "selected": form["version"].value() if form is not None and form.is_bound else None,
        "findings": findings or [],
        "limit": HISTORY_LIMIT,
    }
    return render(request, "rollout/region.html", context, status=status)


def _history_items(code: str, history: list[Activation]) -> list[HistoryItem]:
    if not history:
        return []
    oldest = min(a.created_at for a in history)
    stamps = [a.phase.activated_at for a in history if a.phase and a.phase.activated_at]
    earliest = min([oldest, *stamps])
    snapshots = kpi_snapshot_list_since(region=code, since=earliest, limit=1000)
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
            how=activation_summary(activation),
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
                pairs.append(Pair(KPI_LABELS[name].chart, before, after))
        if pairs:
            charts.append(before_after_bars(
                pairs, title=f"{code} activation #{activation.id}: {title}", unit=unit,
                width=420, before_label="before", after_label="after"))
    return charts


urlpatterns: list[URLPattern] = [
    path("regions/<str:code>/", region, name="region"),
    path("regions/<str:code>/rollback/", region_rollback_view, name="region_rollback"),
]
