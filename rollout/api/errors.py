"""Domain refusals as HTTP answers (DESIGN section 7): 400/422 with findings for bad input,
403 for a role that may not, 404, 409 for what the state machine does not allow. Never a 500
for bad input: every refusal a service can raise is mapped here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from rollout.domain.checks import cap_per_code
from rollout.domain.demand import DemandError, OrdersError
from rollout.domain.findings import SHOWN_PER_CODE, Finding, counts
from rollout.domain.lifecycle import TransitionRefused
from rollout.selectors import VersionNotFound
from rollout.services.activations import ActivationRefused
from rollout.services.kpis import KpiValidationError, SimulationRefused
from rollout.services.plans import FourEyesViolation, PlanRejected, RolloutNotFound, RolloutRefused
from rollout.services.roles import RoleRequired
from rollout.services.tokens import TokenRefused
from rollout.services.versions import VersionRejected
from rollout.services.webhooks import WebhookRefused


class NotFound(LookupError):
    """A path names something that does not exist."""


def _findings(items: list[Finding]) -> dict[str, object]:
    """`findings` (a few of each code, then one entry counting the rest, as `validate` caps
    them) and, when there are some, the `errors` and `warnings` of the whole list."""
    shown = [f.as_dict() for f in cap_per_code(items, SHOWN_PER_CODE)]
    return {"findings": shown, **(counts(items) if items else {})}


def register(api: NinjaAPI) -> None:
    def answer(request: HttpRequest, status: int, detail: str,
               **extra: Any) -> HttpResponse:
        return api.create_response(request, {"detail": detail, **extra}, status=status)

    @api.exception_handler(RoleRequired)
    def forbidden(request: HttpRequest, exc: RoleRequired) -> HttpResponse:
        return answer(request, 403, str(exc))

    @api.exception_handler(FourEyesViolation)
    def four_eyes(request: HttpRequest, exc: FourEyesViolation) -> HttpResponse:
        return answer(request, 403, str(exc))

    @api.exception_handler(TransitionRefused)
    def conflict(request: HttpRequest, exc: TransitionRefused) -> HttpResponse:
        return answer(request, 409, str(exc), state=exc.state.value, action=exc.action.value)

    @api.exception_handler(PlanRejected)
    def plan_rejected(request: HttpRequest, exc: PlanRejected) -> HttpResponse:
        return answer(request, 422, str(exc), **_findings(exc.findings))

    @api.exception_handler(RolloutRefused)
    def refused(request: HttpRequest, exc: RolloutRefused) -> HttpResponse:
        return answer(request, 409, str(exc), **_findings(exc.findings))

    @api.exception_handler(ActivationRefused)
    def activation_refused(request: HttpRequest, exc: ActivationRefused) -> HttpResponse:
        return answer(request, 409, str(exc), **_findings(exc.findings))

    @api.exception_handler(VersionRejected)
    def version_rejected(request: HttpRequest, exc: VersionRejected) -> HttpResponse:
        return answer(request, 400, str(exc), **_findings(exc.findings))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return answer(request, 400, f"the request body is larger than "
                                    f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (a bundle "
                                    f"file may have {settings.RRM_MAX_FILE_BYTES:,} bytes)")

    @api.exception_handler(SimulationRefused)
    def simulation_refused(request: HttpRequest, exc: SimulationRefused) -> HttpResponse:
        return answer(request, 409, str(exc))

    for bad_input in (KpiValidationError, OrdersError, DemandError, TokenRefused,
                      WebhookRefused):
        api.add_exception_handler(
            bad_input, lambda request, exc: answer(request, 422, str(exc)))

    for missing in (NotFound, VersionNotFound, RolloutNotFound):
        api.add_exception_handler(missing, lambda request, exc: answer(request, 404, str(exc)))
