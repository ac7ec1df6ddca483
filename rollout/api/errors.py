"""Refusals as HTTP answers (DESIGN section 7): 400/422 with findings for bad input, 403 for a
role that may not, 404, 409 for what the state machine does not allow, 429 for too many writes.
Never a 500 for bad input: every refusal a service or the domain raises is a `RolloutError`, and
its kind maps here, once, to a status.

The body is `{"detail": message}`, plus `findings` (a few of each code, then one counting the
rest) with `errors`/`warnings` for the refusals of checks, plus the error's own `details()`
(the state and action of a transition the state machine refuses).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from rollout.api.ratelimit import RateLimited
from rollout.domain.checks import cap_per_code
from rollout.domain.errors import HTTP_STATUS as HTTP_STATUS  # the one table, re-exported
from rollout.domain.errors import NotFoundError, RolloutError
from rollout.domain.findings import SHOWN_PER_CODE, Finding, counts


class NotFound(NotFoundError):
    """A path names something that does not exist."""


def http_status(error: RolloutError) -> int:
    """The status that answers `error`: its kind's."""
    return HTTP_STATUS[error.kind]


def error_body(error: RolloutError) -> dict[str, object]:
    """The JSON body that answers `error`."""
    body: dict[str, object] = {"detail": str(error)}
    if error.shows_findings:
        body.update(_findings(error.findings))
    body.update(error.details())
    return body


def _findings(items: list[Finding]) -> dict[str, object]:
    """`findings` (a few of each code, then one entry counting the rest, as `validate` caps
    them) and, when there are some, the `errors` and `warnings` of the whole list."""
    shown = [f.as_dict() for f in cap_per_code(items, SHOWN_PER_CODE)]
    return {"findings": shown, **(counts(items) if items else {})}


def register(api: NinjaAPI) -> None:
    @api.exception_handler(RolloutError)
    def refused(request: HttpRequest, exc: RolloutError) -> HttpResponse:
        response = api.create_response(request, error_body(exc), status=http_status(exc))
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(request, {
            "detail": f"the request body is larger than "
                      f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (a bundle file may have "
                      f"{settings.RRM_MAX_FILE_BYTES:,} bytes)"}, status=400)
