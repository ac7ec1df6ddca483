"""The dashboard: the live network on a map, each region's active version and KPIs, rollouts in
flight and freeze windows.

The page follows the live state without reloading: it polls `live.json` with the key it was
drawn with (`flight_data.dashboard_key`); the answer is a few bytes while nothing changed, and
when something did the page fetches itself again and swaps its `data-live-section` parts, so
every part always shows the same state (dashboard.js).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from rollout.domain.kpis import KPI_LABELS
from rollout.models import Activation, KpiSnapshot
from rollout.selectors.activations import activation_list_by_id
from rollout.selectors.kpis import kpi_observed_latest, kpi_snapshot_list_around
from rollout.services.git_mirror import git_mirror_status
from rollout.services.live import live_state
from rollout.services.live_history import (
    InstantRefused,
    instant_parse,
    live_sequence_at,
    live_sequence_before,
    live_state_kept,
)
from rollout.services.live_network import latest_activations
from rollout.services.roles import Role
from rollout.web.access import role_required
from rollout.web.flight_data import (
    dashboard_key,
    freeze_windows,
    rollouts_in_flight,
    rollouts_recently_ended,
)
from rollout.web.kpi_data import (
    DASHBOARD_KPIS,
    KpiCell,
    kpi_cell,
    snapshots_by_activation,
)
from rollout.web.live_data import ActivationSummary, activation_summary, live_map, version_url


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    colour: str
    url: str
    zones: int
    activation: Activation | None
    how: ActivationSummary | None
    version_url: str
    kpis: list[KpiCell]
    kpi_source: str


@dataclass(frozen=True)
class AsOf:
    """The dashboard drawn as the network was at an instant (read-only, not polling)."""

    at: datetime
    sequence: int  # the live state shown: after this activation (0: nothing was live)
    before: bool  # the state just before the one live at `at` (the audit log's "before" link)


def as_of_from(query: Any) -> AsOf | None:
    """The instant asked in `?at=T` (ISO 8601; without a time zone, UTC, as the picker sends
    it) and `&moment=before`; None when not asked. InstantRefused for an unusable time."""
    text = (query.get("at") or "").strip()
    if not text:
        return None
    if len(text) <= 19 and "+" not in text and not text.endswith("Z"):
        text += "+00:00"  # the picker's datetime-local value: the page says UTC
    at = instant_parse(text=text)
    sequence = live_sequence_at(at=at)
    before = query.get("moment") == "before"
    if before and sequence:
        sequence = live_sequence_before(sequence=sequence)
    return AsOf(at=at, sequence=sequence, before=before)


@role_required(Role.VIEWER)
def dashboard(request: HttpRequest) -> HttpResponse:
    as_of, as_of_error = None, ""
    try:
        as_of = as_of_from(request.GET)
    except InstantRefused as exc:
        as_of_error = str(exc)
    state = live_state() if as_of is None else live_state_kept(sequence=as_of.sequence)
    live = live_map(state)
    in_flight = rollouts_in_flight() if as_of is None else []
    # the key first: whatever changes after it, the next poll sees a different key
    key = dashboard_key(state, in_flight)
    rows = region_rows(live.names, live.colours, state.composite.zone_owner,
                       upto=state.at_activation if as_of else None,
                       until=as_of.at if as_of else None)
    mix: dict[str, list[str]] = {}
    for code, version_id in sorted(state.composite.region_versions.items()):
        mix.setdefault(version_id, []).append(code)
    context = {
        "live": live,
        "rows": rows,
        "kpi_labels": [KPI_LABELS[name].short for name in DASHBOARD_KPIS],
        "mix": [{"version": v, "url": version_url(v),
                 "regions": [(c, live.colours.get(c, "#7f7f7f")) for c in codes]}
                for v, codes in sorted(mix.items(), key=lambda item: -len(item[1]))],
        "live_zone_count": len(state.composite.zone_owner),
        "zone_count": len(live.map.zones),
        "gaps": state.composite.gaps,
        "in_flight": in_flight,
        "flights": [*in_flight, *rollouts_recently_ended()] if as_of is None else [],
        "freezes": freeze_windows() if as_of is None else [],
        "key": key,
        "poll_url": reverse("web:dashboard_live") if as_of is None else "",
        "as_of": as_of,
        "as_of_error": as_of_error,
        "git_mirror": git_mirror_status() if as_of is None else None,
    }
    return render(request, "rollout/dashboard.html", context)


@role_required(Role.VIEWER)
def dashboard_live(request: HttpRequest) -> JsonResponse:
    """Whether the dashboard drawn with `?key=K` is still current, and the countdowns of the
    rollouts in flight. When the key changed the answer says so (`changed`) and carries the
    map's colours; the page then redraws its sections from the dashboard itself."""
    state = live_state()
    in_flight = rollouts_in_flight()
    key = dashboard_key(state, in_flight)
    body: dict[str, Any] = {"key": key, "at": state.at_activation,
                            "changed": request.GET.get("key") != key,
                            "rollouts": [r.as_json() for r in in_flight]}
    if body["changed"]:
        body["map"] = live_map(state).payload
    return JsonResponse(body)


def region_rows(names: dict[str, str], colours: dict[str, str], owner: dict[str, str], *,
                upto: int | None = None, until: datetime | None = None) -> list[RegionRow]:
    """One row per region known to the upcoming version (live_data.upcoming_version) or ever
    activated, in code order of the region definitions; as of activation `upto` and the
    KPIs observed by `until` when given (the dashboard drawn as of an instant)."""
    latest = latest_activations(upto=upto)
    activations = {a.region: a for a in activation_list_by_id(
        ids=[a.id for a in latest.values()])}
    zone_counts: dict[str, int] = {}
    for code in owner.values():
        zone_counts[code] = zone_counts.get(code, 0) + 1
    kpis = _region_kpis(list(activations.values()), until=until)
    rows = []
    for code in [*names, *sorted(set(activations) - set(names))]:
        activation = activations.get(code)
        cells, source = kpis.get(code, ([], ""))
        rows.append(RegionRow(
            code=code, name=names.get(code, code), colour=colours.get(code, "#7f7f7f"),
            url=reverse("web:region", args=[code]), zones=zone_counts.get(code, 0),
            activation=activation,
            how=activation_summary(activation) if activation else None,
            version_url=version_url(activation.version_id) if activation and
            activation.version_id else "",
            kpis=cells, kpi_source=source))
    return rows


def _region_kpis(latest: list[Activation], *,
                 until: datetime | None = None) -> dict[str, tuple[list[KpiCell], str]]:
    """Per live region: its latest KPIs (observed since the activation where there are any,
    else simulated for its version) with the change since the activation's "before"."""
    live = [a for a in latest if a.version_id is not None]
    if not live:
        return {}
    snapshots = kpi_snapshot_list_around(activations=live, limit=500)
    matched = snapshots_by_activation(live, snapshots)
    earlier: dict[tuple[str, str | None], dict[str, Any]] = {}
    for snap in snapshots:
        if snap.kind == KpiSnapshot.Kind.AFTER and snap.source == KpiSnapshot.Source.SIMULATION:
            earlier.setdefault((snap.region, snap.version_id), snap.values)
    result: dict[str, tuple[list[KpiCell], str]] = {}
    for a in live:
        found = matched[a.id]
        if not found.after and (a.region, a.version_id) in earlier:
            found.after["simulation"] = earlier[(a.region, a.version_id)]
        since: datetime = a.phase.activated_at if a.phase and a.phase.activated_at else \
            a.created_at
        observed = kpi_observed_latest(region=a.region, since=min(since, a.created_at),
                                       until=until)
        cells = []
        for name in DASHBOARD_KPIS:
            if name in observed:
                before = found.before.get("observed", {}).get(
                    name, found.before.get("simulation", {}).get(name))
                cells.append(kpi_cell(name, float(observed[name]),
                                      float(before) if before is not None else None, True))
            else:
                b, after, obs = found.pick(name)
                cells.append(kpi_cell(name, after, b, obs))
        source = "observed" if observed else ("simulated" if found.after else "")
        result[a.region] = (cells, source)
    return result


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("live.json", dashboard_live, name="dashboard_live"),
]
