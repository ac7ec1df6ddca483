"""The "Design regions" page: pick a version, K (or a sweep) and the constraints; a worker
designs (`rollout.services.design_jobs`) while the job's page shows its progress and reloads
itself; then the base regions and the proposal on two maps (moved zones ringed), the KPIs
before and after, the sweep's trade-off chart, and "Save as version", which leads to the new
version's page (and from there to the planner).

Editors design and save; any role may look at a design. Every refusal comes from the services
and is shown with the page's status (`rollout.web.errors`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.models import DesignJob
from rollout.selectors.designs import design_jobs_recent
from rollout.selectors.regions import known_region_codes
from rollout.selectors.versions import version_bundle, version_get, version_list
from rollout.services.design_jobs import (
    DesignParams,
    design_job_create,
    design_job_get,
    design_job_save,
)
from rollout.services.roles import Role
from rollout.web.access import actor_of, forbidden, role_required
from rollout.web.design_data import design_maps, sweep_chart
from rollout.web.errors import page_message, page_status
from rollout.web.views.simulation import kpi_tables

VERSION_CHOICES = 200
#: a page waiting for its design reloads itself this often (seconds)
REFRESH_SECONDS = 1


class DesignForm(forms.Form):
    version = forms.CharField(max_length=64)
    regions = forms.IntegerField(min_value=1, max_value=200, initial=8, label="Regions (K)")
    sweep_from = forms.IntegerField(required=False, min_value=1, max_value=200)
    sweep_to = forms.IntegerField(required=False, min_value=1, max_value=200)
    keep = forms.CharField(required=False, max_length=500,
                           help_text="region codes kept exactly as they are, comma-separated")
    max_moves = forms.IntegerField(required=False, min_value=0)
    headroom = forms.FloatField(required=False, min_value=0, max_value=0.9, initial=0.1)
    contiguous = forms.BooleanField(required=False, initial=True)
    balance = forms.FloatField(required=False, min_value=1)
    keep_routing = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("sweep_from"), data.get("sweep_to")
        if (low is None) != (high is None):
            raise forms.ValidationError("A sweep needs both ends (from and to), or neither.")
        return data

    def params(self) -> DesignParams:
        data = self.cleaned_data
        sweep = (f"{data['sweep_from']}-{data['sweep_to']}"
                 if data.get("sweep_from") is not None else None)
        keep = tuple(dict.fromkeys(code.strip() for code in (data.get("keep") or "").split(",")
                                   if code.strip()))
        return DesignParams(regions=data["regions"], sweep=sweep, keep=keep,
                            max_moves=data.get("max_moves"),
                            headroom=data.get("headroom") or 0.0,
                            contiguous=bool(data.get("contiguous")),
                            balance=data.get("balance"),
                            keep_routing=bool(data.get("keep_routing")))


class SaveForm(forms.Form):
    message = forms.CharField(max_length=2000, strip=True)


def _form_page(request: HttpRequest, form: DesignForm, *, status: int = 200) -> HttpResponse:
    versions = list(version_list(limit=VERSION_CHOICES))
    user = actor_of(request)
    return render(request, "rollout/designs.html", {
        "form": form, "versions": versions,
        "selected": form["version"].value() or (versions[0].id if versions else ""),
        "recent": design_jobs_recent(user=user) if user is not None else [],
    }, status=status)


@role_required(Role.VIEWER)
def design_page(request: HttpRequest) -> HttpResponse:
    return _form_page(request, DesignForm(initial={"version": request.GET.get("version", "")}))


@role_required(Role.EDITOR)
@require_POST
def design_create_view(request: HttpRequest) -> HttpResponse:
    form = DesignForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    try:
        version = version_get(ref=form.cleaned_data["version"])
        job = design_job_create(version=version, params=form.params(), actor=actor_of(request))
    except RolloutError as exc:
        if exc.kind is ErrorKind.FORBIDDEN:
            return forbidden(request, page_message(exc))
        messages.error(request, page_message(exc))
        return _form_page(request, form, status=page_status(exc))
    return redirect("web:design_job", job_id=job.id)


@role_required(Role.VIEWER)
def design_job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        job = design_job_get(job_id=job_id, actor=actor_of(request))
    except RolloutError as exc:
        if exc.kind is ErrorKind.FORBIDDEN:
            return forbidden(request, page_message(exc))
        return render(request, "rollout/design_job.html", {"error": page_message(exc)},
                      status=page_status(exc))
    return render(request, "rollout/design_job.html", _job_context(job, SaveForm()))


def _job_context(job: DesignJob, save_form: SaveForm) -> dict[str, Any]:
    context: dict[str, Any] = {"job": job, "params": job.params, "save_form": save_form,
                               "active": job.state in DesignJob.ACTIVE,
                               "percent": round(100 * job.progress),
                               "refresh_seconds": REFRESH_SECONDS}
    result = job.result
    if job.state != DesignJob.State.DONE or not isinstance(result, dict):
        return context
    bundle = version_bundle(version=job.version)
    if bundle is not None:
        context["current_map"], context["proposed_map"] = design_maps(
            bundle=bundle, result=result, universe=known_region_codes())
    kpis = result.get("kpis") or {}
    if kpis.get("proposal") and kpis.get("base"):
        context["tables"] = kpi_tables(kpis["proposal"], kpis["base"])
    if result.get("sweep"):
        context["sweep_chart"] = sweep_chart(result["sweep"], chosen=job.params.get("regions"))
        context["sweep_rows"] = sorted(result["sweep"], key=lambda row: row["regions"])
    context["result"] = result
    gap = (result.get("bound") or {}).get("gap")
    context["gap_pct"] = 100 * gap if isinstance(gap, int | float) else None
    context["errors"] = (result.get("checks") or {}).get("errors", 0)
    return context


@role_required(Role.EDITOR)
@require_POST
def design_save_view(request: HttpRequest, job_id: int) -> HttpResponse:
    form = SaveForm(request.POST)
    try:
        job = design_job_get(job_id=job_id, actor=actor_of(request))
        if not form.is_valid():
            messages.error(request, "Say what the new version changes and why (a message).")
            return render(request, "rollout/design_job.html", _job_context(job, form),
                          status=400)
        version = design_job_save(job_id=job_id, message=form.cleaned_data["message"],
                                  actor=actor_of(request))
    except RolloutError as exc:
        if exc.kind is ErrorKind.FORBIDDEN:
            return forbidden(request, page_message(exc))
        messages.error(request, page_message(exc))
        return redirect("web:design_job", job_id=job_id)
    messages.success(request, f"The proposal is saved as version {version.id}, a child of "
                              f"{job.version_id}. Plan its rollout from here.")
    return redirect("web:version_detail", ref=version.id)


urlpatterns: list[URLPattern] = [
    path("design/", design_page, name="design"),
    path("design/new/", design_create_view, name="design_create"),
    path("design/<int:job_id>/", design_job_page, name="design_job"),
    path("design/<int:job_id>/save/", design_save_view, name="design_save"),
]
