"""The rollout planner: pick a version, put its regions into phases, set bake times, earliest
starts, gates and the failure policy, check the plan, then create the draft rollout.

Two steps: "Check plan" runs the service's plan check and shows its findings per phase; only a
plan that passed, unchanged since (its digest is carried in the form), can be created, and the
service checks it again on create. A GET never runs the plan check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib import messages
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from rollout.domain.findings import Finding
from rollout.models import Version
from rollout.selectors.versions import version_choices
from rollout.services.plans import plan_validate
from rollout.services.roles import Role, RoleRequired
from rollout.services.rollouts import PlanRejected, plan_check, rollout_create
from rollout.web.access import actor_of, forbidden, role_required
from rollout.web.gate_data import gate_plan_rows
from rollout.web.planner_data import PlannerRegion, planner_regions
from rollout.web.rollout_forms import (
    GateFormSet,
    PhaseFormSet,
    PlanForm,
    PlanInput,
    plan_input,
    split_codes,
)

_LABEL = re.compile(r"^(before the rollout \(what a rollback restores\)|after phase (\d+)): ")


@dataclass
class FindingGroup:
    title: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)


@dataclass
class CheckResult:
    """The plan check's answer, grouped by the state it is about (each phase, the rollback)."""

    groups: list[FindingGroup]
    refused: str = ""

    @property
    def errors(self) -> int:
        return sum(g.errors for g in self.groups) + (1 if self.refused else 0)

    @property
    def warnings(self) -> int:
        return sum(len(g.findings) - g.errors for g in self.groups)

    @property
    def passed(self) -> bool:
        return self.errors == 0


def grouped(findings: list[Finding], phases: int) -> list[FindingGroup]:
    """The findings under the state each is about; inside a group a finding's message loses
    the "after phase N: " prefix its heading already says (findings under "Other" keep theirs)."""
    groups = {"rollback": FindingGroup("Before the rollout (what a rollback restores)")}
    groups.update({str(n): FindingGroup(f"After phase {n}") for n in range(1, phases + 1)})
    other = FindingGroup("Other")
    for item in findings:
        match = _LABEL.match(item.message)
        key = (match.group(2) or "rollback") if match else ""
        group = groups.get(key, other)
        if match and group is not other:
            item = replace(item, message=item.message[match.end():])
        group.findings.append(item)
    return [*groups.values(), *([other] if other.findings else [])]


def _selected_version(ref: str | None, versions: list[Version]) -> Version | None:
    if not ref:
        return None
    return next((v for v in versions if v.id == ref), None)


@role_required(Role.EDITOR)
def rollout_plan(request: HttpRequest) -> HttpResponse:
    versions = version_choices()
    ref = request.POST.get("version") if request.method == "POST" else request.GET.get("version")
    version = _selected_version(ref, versions)
    if ref and version is None:
        messages.error(request, f"No valid version {ref!r}: pick one from the list.")
    regions = planner_regions(version) if version else []
    codes = [r.code for r in regions]
    if request.method != "POST" or version is None:
        form = PlanForm(versions=versions, initial={"version": version.id if version else ""})
        phase_forms = PhaseFormSet(prefix="phase", initial=[{}, {}])
        gate_forms = GateFormSet(prefix="gate", initial=[{}])
        return _page(request, version, versions, regions, form, phase_forms, gate_forms)

    form = PlanForm(request.POST, versions=versions)
    phase_forms = PhaseFormSet(request.POST, prefix="phase")
    gate_forms = GateFormSet(request.POST, prefix="gate")
    if not (form.is_valid() and phase_forms.is_valid() and gate_forms.is_valid()):
        messages.error(request, "Some fields need fixing (marked below).")
        return _page(request, version, versions, regions, form, phase_forms, gate_forms,
                     status=422)
    plan = plan_input(form, phase_forms, gate_forms, version, codes)
    if request.POST.get("action") == "create":
        return _create(request, plan, form, (version, versions, regions),
                       phase_forms, gate_forms)
    result = _check(plan)
    form = PlanForm(versions=versions, initial={
        "version": version.id, "on_gate_failure": plan.on_gate_failure,
        "checked_digest": plan.digest if result.passed else ""})
    return _page(request, version, versions, regions, form, *_fresh(plan), result=result,
                 plan=plan, dropped=empty_phases(phase_forms))


def _check(plan: PlanInput) -> CheckResult:
    try:
        plan_validate(version=plan.version, phases=plan.phases, gates=plan.gates,
                      on_gate_failure=plan.on_gate_failure)
    except PlanRejected as exc:
        return CheckResult(grouped(exc.findings, len(plan.phases)), refused=str(exc))
    return CheckResult(grouped(plan_check(version=plan.version, phases=plan.phases),
                               len(plan.phases)))


def _create(request: HttpRequest, plan: PlanInput, form: PlanForm,
            where: tuple[Version, list[Version], list[PlannerRegion]],
            phase_forms: BaseFormSet, gate_forms: BaseFormSet) -> HttpResponse:
    version, versions, regions = where
    if form.cleaned_data.get("checked_digest") != plan.digest:
        messages.error(request, "The plan changed since it was checked (or was never checked): "
                                "check it again before creating the rollout.")
        return _page(request, version, versions, regions, form, phase_forms, gate_forms,
                     status=409)
    try:
        rollout = rollout_create(version=plan.version, phases=plan.phases, gates=plan.gates,
                                 on_gate_failure=plan.on_gate_failure, actor=actor_of(request))
    except RoleRequired as exc:
        return forbidden(request, str(exc))
    except PlanRejected as exc:
        messages.error(request, f"The rollout was not created: {exc}.")
        result = CheckResult(grouped(exc.findings, len(plan.phases)),
                             refused="" if exc.findings else str(exc))
        fresh_form = PlanForm(versions=versions, initial={
            "version": version.id, "on_gate_failure": plan.on_gate_failure})
        return _page(request, version, versions, regions, fresh_form, *_fresh(plan),
                     result=result, plan=plan, dropped=empty_phases(phase_forms), status=422)
    messages.success(request, f"Rollout {rollout.id} created as a draft. An approver other "
                              "than you must approve it before an operator can start it.")
    return redirect("web:rollout_detail", rollout_id=rollout.id)


def empty_phases(phase_forms: BaseFormSet) -> list[int]:
    """The numbers (1-based) of the posted phases without regions: the plan leaves them out."""
    return [n for n, f in enumerate(phase_forms, start=1) if not f.region_codes()]


def _fresh(plan: PlanInput) -> tuple[BaseFormSet, BaseFormSet]:
    """Unbound forms holding exactly `plan`: its phases (empty ones posted are gone, the page
    says so) and its gates, or one "no gate" row when it has none. No spare rows: a phase
    nobody asked for would look like part of the plan."""
    zone = timezone.get_current_timezone()
    phases: list[dict[str, Any]] = [
        {"regions": ", ".join(p.regions), "bake_minutes": p.bake_minutes,
         "start_after": p.start_after.astimezone(zone) if p.start_after else None}
        for p in plan.phases]
    gates: list[dict[str, Any]] = [{"kpi": g.kpi, "max_regression_pct": g.max_regression_pct,
                                    "query": g.query} for g in plan.gates]
    return (PhaseFormSet(prefix="phase", initial=phases),
            GateFormSet(prefix="gate", initial=gates or [{}]))


def _page(request: HttpRequest, version: Version | None, versions: list[Version],
          regions: list[PlannerRegion], form: PlanForm, phase_forms: BaseFormSet,
          gate_forms: BaseFormSet, *, result: CheckResult | None = None,
          plan: PlanInput | None = None, dropped: list[int] | None = None,
          status: int = 200) -> HttpResponse:
    by_code = {r.code: r for r in regions}
    placed: set[str] = set()
    phases = []
    for phase_form in phase_forms:
        value = phase_form["regions"].value()
        codes = [c for c in split_codes(value) if c.upper() in {k.upper() for k in by_code}]
        cards = [by_code[next(k for k in by_code if k.upper() == c.upper())] for c in codes]
        placed.update(card.code for card in cards)
        phases.append({"form": phase_form, "regions": cards})
    changes = []
    if plan is not None and version is not None:
        for number, phase in enumerate(plan.phases, start=1):
            changes.append({"number": number, "regions": [
                {"region": by_code[code], "from": by_code[code].live_version, "to": version.id}
                for code in phase.regions if code in by_code]})
    return render(request, "rollout/rollouts/plan.html", {
        "version": version, "versions": versions, "regions": regions,
        "pool": [r for r in regions if r.code not in placed], "phases": phases,
        "form": form, "phase_forms": phase_forms, "gate_forms": gate_forms,
        "result": result, "changes": changes, "dropped": dropped or [],
        "gate_rows": gate_plan_rows(plan.gates) if plan is not None else [],
        "time_zone": timezone.get_current_timezone_name(),
    }, status=status)


urlpatterns: list[URLPattern] = [
    path("rollouts/new/", rollout_plan, name="rollout_plan"),
]
