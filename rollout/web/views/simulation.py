"""The simulation page: a version's KPIs against a baseline, per region and in total.

The baseline is another version (by default the version's parent), the live network (each
region's KPIs under its active version, as the rollout engine snapshots them before an
activation), or nothing. Simulations are cached by the service per version and demand, so a
repeated comparison costs two small queries per side. A simulation that is neither cached nor
small is computed by a worker (`rollout.services.simulations`), never in the web process: the
page then says "computing…" and reloads itself, watching those jobs, until they are done.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.safestring import SafeString

from rollout.domain.demand import DemandError
from rollout.domain.gates import HIGHER_IS_BETTER, NEUTRAL, change_verdict
from rollout.domain.kpis import KPI_LABELS, kpi_label
from rollout.domain.simulate import COUNT_KPIS, KPI_NAMES, PERCENT_KPIS
from rollout.models import SimulationJob, Version
from rollout.selectors.simulations import simulation_jobs, simulation_run_count
from rollout.selectors.versions import VersionNotFound, version_get, version_list
from rollout.services.kpis import SimulationRefused
from rollout.services.live_network import latest_activations
from rollout.services.roles import Role
from rollout.services.simulations import simulation_request
from rollout.web.access import actor_of, role_required
from rollout.web.charts import Pair, before_after_bars

LIVE, NONE = "live", "none"
#: the charts shown when the user picks none: the share served in-region, trucks and distance
KEY_CHART_KPIS = ("in_region_pct", "trucks", "avg_km")
UNITS = {"in_region_pct": "%", "fill_pct": "%", "avg_km": "km", "avg_hours": "h"}
VERSION_CHOICES = 200
#: a page waiting for simulation jobs reloads itself this often
REFRESH_SECONDS = 2
#: the most jobs one page waits for (one per live version at most)
MAX_WATCHED = 50


def better_when(kpi: str) -> str:
    """"higher", "lower" or "" (orders: a change is neither better nor worse)."""
    if kpi in NEUTRAL:
        return ""
    return "higher" if kpi in HIGHER_IS_BETTER else "lower"


def fmt(kpi: str, value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    if signed and abs(value) < 1e-9:
        return "0"
    sign = "+" if signed else ""
    if kpi in COUNT_KPIS:
        return f"{round(value):{sign},}"
    if kpi in PERCENT_KPIS:
        return f"{value:{sign}.1f}" + (" pp" if signed else "%")
    return f"{value:{sign},.2f}" if kpi == "avg_hours" else f"{value:{sign},.1f}"


@dataclass(frozen=True)
class KpiRow:
    """One KPI of one table: before, after, and how the change reads."""

    kpi: str
    before: float | None
    after: float | None

    @property
    def label(self) -> str:
        return kpi_label(self.kpi).title

    @property
    def better_when(self) -> str:
        return better_when(self.kpi)

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def verdict(self) -> str:
        """"better", "worse", "same", "changed" (a neutral KPI) or "" (nothing to compare)."""
        if self.before is None or self.after is None:
            return ""
        return change_verdict(self.kpi, self.before, self.after)

    @property
    def arrow(self) -> str:
        delta = self.delta
        if delta is None:
            return ""
        return "=" if abs(delta) < 1e-9 else ("▲" if delta > 0 else "▼")

    @property
    def before_text(self) -> str:
        return fmt(self.kpi, self.before)

    @property
    def after_text(self) -> str:
        return fmt(self.kpi, self.after)

    @property
    def delta_text(self) -> str:
        return fmt(self.kpi, self.delta, signed=True)


@dataclass(frozen=True)
class KpiTable:
    name: str  # "Total" or a region code
    rows: list[KpiRow]

    @property
    def compared(self) -> bool:
        return any(row.verdict for row in self.rows)

    def counts(self) -> dict[str, int]:
        verdicts = [row.verdict for row in self.rows]
        return {"better": verdicts.count("better"), "worse": verdicts.count("worse")}


def kpi_tables(after: Mapping[str, Any], before: Mapping[str, Any] | None) -> list[KpiTable]:
    """The total first, then every region of either side by code."""
    before_regions = (before or {}).get("regions") or {}
    before_total = (before or {}).get("total")
    codes = sorted(set(after["regions"]) | set(before_regions))
    sides = [("Total", after["total"], before_total)]
    sides += [(code, after["regions"].get(code), before_regions.get(code)) for code in codes]
    return [KpiTable(name, [KpiRow(kpi, _value(old, kpi), _value(new, kpi))
                            for kpi in KPI_NAMES])
            for name, new, old in sides]


def _value(kpis: Mapping[str, Any] | None, kpi: str) -> float | None:
    value = (kpis or {}).get(kpi)
    return float(value) if isinstance(value, int | float) else None


@dataclass
class Run:
    result: dict[str, Any] | None  # None: a worker computes it (`job`)
    job: SimulationJob | None
    ms: float
    computed: bool  # False: answered from the cache (or by a worker)


class Computing(Exception):
    """Some simulation the page needs is being computed by a worker."""

    def __init__(self, jobs: list[SimulationJob]) -> None:
        super().__init__(f"{len(jobs)} simulation job(s) running")
        self.jobs = jobs


def timed_run(version: Version, actor: User | None) -> Run:
    """The version's KPIs with the wall time and whether they were computed now (a new cache
    row); or the job a worker computes them in when they are neither cached nor small."""
    known = simulation_run_count(version=version)
    started = time.perf_counter()
    answer = simulation_request(version=version, actor=actor)
    ms = (time.perf_counter() - started) * 1000
    return Run(answer.result, answer.job, ms, simulation_run_count(version=version) > known)


def results_of(runs: list[Run]) -> list[dict[str, Any]]:
    """The runs' results, or `Computing` with the jobs of those a worker computes."""
    jobs = [run.job for run in runs if run.job is not None]
    if jobs:
        raise Computing(jobs)
    return [run.result for run in runs if run.result is not None]


def live_baseline(actor: User | None) -> tuple[dict[str, Any],
                                                    list[tuple[str, str | None]], list[Run]]:
    """Each live region's KPIs under its active version; no total (the regions may run on
    different versions, and lanes into shared hubs count in no region)."""
    regions: dict[str, Any] = {}
    shown: list[tuple[str, str | None]] = []
    runs: dict[str, Run] = {}
    live = sorted(latest_activations().items())
    for code, activation in live:
        version = activation.version
        shown.append((code, version.id if version else None))
        if version is not None and version.id not in runs:
            runs[version.id] = timed_run(version, actor)
    results = dict(zip(runs, results_of(list(runs.values())), strict=True))
    for code, activation in live:
        if activation.version is not None:
            kpis = results[activation.version.id]["regions"].get(code)
            if kpis is not None:
                regions[code] = kpis
    return {"total": None, "regions": regions}, shown, list(runs.values())


def charts_for(tables: list[KpiTable], kpis: tuple[str, ...],
               after_label: str, before_label: str) -> list[tuple[str, SafeString]]:
    """(heading, SVG) of one bar chart per KPI across the regions."""
    regions = tables[1:]
    charts = []
    for kpi in kpis:
        index = KPI_NAMES.index(kpi)
        pairs = [Pair(t.name, t.rows[index].before, t.rows[index].after) for t in regions]
        hint = f" ({better_when(kpi)} is better)" if better_when(kpi) else ""
        title = f"{KPI_LABELS[kpi].title} by region{hint}"
        charts.append((title, before_after_bars(pairs, title=title, unit=UNITS.get(kpi, ""),
                                                before_label=before_label,
                                                after_label=after_label)))
    return charts


@role_required(Role.VIEWER)
def simulate_page(request: HttpRequest) -> HttpResponse:
    versions = list(version_list(limit=VERSION_CHOICES))
    ref = request.GET.get("version", "").strip()
    chart = request.GET.get("chart", "")
    context: dict[str, Any] = {
        "versions": versions, "kpi_choices": [(k, KPI_LABELS[k].title) for k in KPI_NAMES],
        "chart": chart if chart in KPI_NAMES else "", "live": LIVE, "none": NONE,
        "selected": versions[0].id if versions else "", "baseline": "",
        "key_kpis": ", ".join(KPI_LABELS[k].title for k in KEY_CHART_KPIS),
        "refresh_seconds": REFRESH_SECONDS,
    }
    if not ref:
        return render(request, "rollout/simulation.html", context)
    try:
        version = version_get(ref=ref)
    except VersionNotFound as exc:
        context["error"] = f"Cannot simulate: {exc}."
        return render(request, "rollout/simulation.html", context, status=404)
    baseline_ref = request.GET.get("baseline", "").strip()
    if not baseline_ref:
        baseline_ref = version.parent_id or NONE
    context.update(selected=version.id, baseline=baseline_ref, version=version)
    watched = simulation_jobs(ids=_job_ids(request.GET.get("jobs", "")))
    try:
        _check_watched(watched)
        context.update(_compare(version, baseline_ref, context["chart"], actor_of(request)))
    except Computing as computing:
        context.update(computing=computing.jobs,
                       refresh_url=_url_with_jobs(request, computing.jobs))
    except VersionNotFound as exc:
        context["error"] = f"Cannot compare: baseline {exc}."
        return render(request, "rollout/simulation.html", context, status=404)
    except (SimulationRefused, DemandError) as exc:
        context["error"] = f"Cannot simulate: {exc}."
    context["version_choices_missing"] = version.id not in {v.id for v in versions}
    return render(request, "rollout/simulation.html", context)


def _job_ids(text: str) -> list[int]:
    """The job ids a computing page polls (`jobs=3,4`); anything else is ignored."""
    return [int(part) for part in text.split(",")[:MAX_WATCHED]
            if part.isascii() and part.isdigit() and len(part) <= 18]


def _check_watched(jobs: list[SimulationJob]) -> None:
    """While a job the page waits for is active, keep waiting (nothing else is asked for);
    a failed one is the page's error, not a new job."""
    failed = [job for job in jobs if job.state == SimulationJob.State.FAILED]
    if failed:
        raise SimulationRefused(f"the simulation of {failed[0].version_id} failed: "
                                f"{failed[0].error}")
    active = [job for job in jobs if job.state in SimulationJob.ACTIVE]
    if active:
        raise Computing(active)


def _url_with_jobs(request: HttpRequest, jobs: list[SimulationJob]) -> str:
    query = request.GET.copy()
    query["jobs"] = ",".join(str(job_id) for job_id in sorted(job.id for job in jobs))
    return f"{request.path}?{query.urlencode()}"


def _compare(version: Version, baseline_ref: str, chart: str,
             actor: User | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    runs: list[Run] = []
    before: dict[str, Any] | None = None
    before_label = ""
    run = timed_run(version, actor)
    try:
        if baseline_ref == LIVE:
            before, out["live_regions"], runs = live_baseline(actor)
            before_label = "live"
        elif baseline_ref != NONE:
            base = version_get(ref=baseline_ref)
            out["baseline_version"] = base
            try:
                runs.append(timed_run(base, actor))
            except SimulationRefused as exc:
                raise SimulationRefused(f"baseline {exc}") from exc
            before_label = base.id
    except Computing as computing:  # wait for the version's own job in the same round
        raise Computing([*computing.jobs, *([run.job] if run.job else [])]) from None
    after = results_of([*runs, run])[-1]
    if baseline_ref not in (LIVE, NONE):
        before = runs[0].result
    runs.append(run)
    tables = kpi_tables(after, before)
    kpis = (chart,) if chart else KEY_CHART_KPIS
    shown_before = before_label if before is not None else "no baseline"
    region_counts = {key: sum(t.counts()[key] for t in tables[1:]) for key in ("better", "worse")}
    out.update(tables=tables, total=tables[0], regions=tables[1:], compared=before is not None,
               region_counts=region_counts,
               before_label=before_label, after_label=version.id,
               # The legend says "before"/"after" (a 12-character id does not fit the chart's
               # legend slot); the caption above the charts names both sides.
               charts=charts_for(tables, kpis, "after", "before"),
               chart_before=shown_before,
               elapsed_ms=sum(r.ms for r in runs), computed=sum(r.computed for r in runs),
               runs=len(runs))
    return out


urlpatterns: list[URLPattern] = [
    path("simulate/", simulate_page, name="simulate"),
]
