"""The planner's form: a version, phases (regions, bake time, earliest start), KPI gates and the
failure policy, as plain fields that work without JavaScript (a phase's regions are a text field
such as "NE, MA"); planner.js only fills those same fields by drag and drop or by click.

Turning the form into a plan (`PlanInput`) is all this module does; the services judge it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.forms import formset_factory
from django.utils import timezone

from rollout.domain.promql import MAX_QUERY_CHARS
from rollout.domain.simulate import KPI_NAMES
from rollout.models import Rollout, Version
from rollout.services.plans import MAX_BAKE_MINUTES, GatePlan, PhasePlan, plan_digest

DEFAULT_BAKE = 30.0
#: what an operator types (24-hour, the server's time zone); the "T" forms are what a
#: datetime-local field or an API-minded person sends
DATETIME_INPUTS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
DATETIME_SHOWN = "%Y-%m-%d %H:%M"


class NumberField(forms.FloatField):
    """A float shown as typed: 1, not 1.0 (a FloatField renders a float's repr)."""

    def prepare_value(self, value: object) -> object:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class StartField(forms.DateTimeField):
    """An earliest start typed as text, "YYYY-MM-DD HH:MM", 24-hour, in the server's time
    zone. A datetime-local input would show the browser's locale (12-hour US order here) while
    the page means the server's zone: plain text in one stated format is the unambiguous one."""

    default_error_messages = {
        "invalid": "Type the time as YYYY-MM-DD HH:MM (24-hour, %(zone)s), e.g. 2030-01-02 14:30.",
    }

    def to_python(self, value: str | datetime | date | None) -> datetime | None:
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            if exc.code != "invalid":
                raise
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid",
                params={"zone": timezone.get_current_timezone_name()}) from exc


class PlanForm(forms.Form):
    version = forms.ChoiceField(label="Version", widget=forms.HiddenInput)
    on_gate_failure = forms.ChoiceField(
        label="When a gate fails", choices=Rollout.OnGateFailure.choices,
        initial=Rollout.OnGateFailure.ROLLBACK, widget=forms.RadioSelect)
    #: the digest of the plan the last check passed; "Create" is only for that plan
    checked_digest = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, versions: list[Version], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        field = self.fields["version"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "— pick a version —")] + [
            (v.id, f"{v.id} · {(v.message.splitlines() or [''])[0][:60]}") for v in versions]


class PhaseForm(forms.Form):
    regions = forms.CharField(
        label="Regions", required=False, max_length=2000,
        help_text="Region codes separated by commas, e.g. NE, MA")
    bake_minutes = NumberField(label="Bake (minutes)", min_value=0, initial=DEFAULT_BAKE,
                               max_value=MAX_BAKE_MINUTES, required=False)
    start_after = StartField(
        label="Earliest start", required=False, input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(format=DATETIME_SHOWN, attrs={
            "placeholder": "YYYY-MM-DD HH:MM", "autocomplete": "off", "spellcheck": "false",
            "size": 17}))

    def region_codes(self) -> list[str]:
        return split_codes(self.cleaned_data.get("regions"))


class GateForm(forms.Form):
    kpi = forms.ChoiceField(label="KPI", required=False,
                            choices=[("", "— no gate —")] + [(k, k) for k in KPI_NAMES])
    max_regression_pct = NumberField(label="Max regression (%)", required=False,
                                     min_value=0, max_value=1000)
    query = forms.CharField(
        label="Prometheus query (optional)", required=False, max_length=MAX_QUERY_CHARS,
        strip=True, widget=forms.TextInput(attrs={
            "placeholder": 'avg(metric{region="$region"})', "spellcheck": "false",
            "autocomplete": "off", "size": 34, "class": "mono"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("kpi") and data.get("max_regression_pct") is None:
            self.add_error("max_regression_pct", "Say how much this KPI may regress.")
        return data


PhaseFormSet = formset_factory(PhaseForm, extra=0, max_num=50, absolute_max=50)
GateFormSet = formset_factory(GateForm, extra=0, max_num=len(KPI_NAMES) * 2,
                              absolute_max=len(KPI_NAMES) * 2)


@dataclass(frozen=True)
class PlanInput:
    version: Version
    phases: list[PhasePlan]
    gates: list[GatePlan]
    on_gate_failure: str

    @property
    def digest(self) -> str:
        return plan_digest(version_id=self.version.id, phases=self.phases, gates=self.gates,
                           on_gate_failure=self.on_gate_failure)

    @property
    def regions(self) -> set[str]:
        return {r for p in self.phases for r in p.regions}


def plan_input(form: PlanForm, phase_forms: forms.BaseFormSet, gate_forms: forms.BaseFormSet,
               version: Version, known_codes: list[str]) -> PlanInput:
    """The plan the valid forms describe. Phases without regions and gate rows without a KPI are
    left out; region codes are matched to the version's codes ignoring case."""
    by_upper = {code.upper(): code for code in known_codes}
    phases = []
    for phase_form in phase_forms:
        codes = [by_upper.get(c.upper(), c) for c in phase_form.region_codes()]
        if codes:
            phases.append(PhasePlan(regions=codes,
                                    bake_minutes=_bake(phase_form.cleaned_data.get("bake_minutes")),
                                    start_after=phase_form.cleaned_data.get("start_after")))
    gates = [GatePlan(kpi=g.cleaned_data["kpi"],
                      max_regression_pct=float(g.cleaned_data["max_regression_pct"]),
                      query=g.cleaned_data.get("query") or "")
             for g in gate_forms if g.cleaned_data.get("kpi")]
    return PlanInput(version, phases, gates, form.cleaned_data["on_gate_failure"])


def _bake(value: float | None) -> float:
    return DEFAULT_BAKE if value is None else float(value)


def split_codes(text: object) -> list[str]:
    """Region codes of a phase's text field ("NE, MA" or "NE MA")."""
    return [code for code in re.split(r"[\s,;]+", str(text or "").strip()) if code]
