"""The rollouts list, a rollout's page with its live status (JSON polled by rollout.js), and
the buttons: approve, start, pause, resume, cancel, the one-click rollback and the change-freeze
override. Every button posts to a view that only calls the service and maps its refusal.

A request asking for JSON (rollout.js sends `Accept: application/json`) gets the new status or
`{"detail", "findings"}` with the API's status codes (403 role or four eyes, 409 the state
machine, 422 a bad request); a plain form post gets a message and a redirect back to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.lifecycle import State, TransitionRefused
from rollout.models import Rollout
from rollout.selectors.rollouts import rollout_find
from rollout.services.freezes import phase_freeze_override
from rollout.services.roles import CANCEL_ROLES, Role, role_held
from rollout.services.rollouts import (
    rollout_approve,
    rollout_cancel,
    rollout_pause,
    rollout_resume,
    rollout_rollback,
    rollout_start,
)
from rollout.web.access import actor_of, forbidden, role_required
from rollout.web.errors import page_message, page_status
from rollout.web.rollout_data import (
    RolloutStatus,
    rollout_rows,
    rollout_status_of,
)

#: action -> (service, who may, label for messages)
ACTIONS: dict[str, tuple[Callable[..., Rollout], tuple[Role, ...], str]] = {
    "approve": (rollout_approve, (Role.APPROVER,), "approved"),
    "start": (rollout_start, (Role.OPERATOR,), "started"),
    "pause": (rollout_pause, (Role.OPERATOR,), "paused"),
    "resume": (rollout_resume, (Role.OPERATOR,), "resumed"),
    "cancel": (rollout_cancel, CANCEL_ROLES, "cancelled"),
}


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@role_required(Role.VIEWER)
@require_GET
def rollout_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or ""
    if state not in {s.value for s in State}:
        state = ""
    return render(request, "rollout/rollouts/list.html", {
        "rows": rollout_rows(state=state or None), "state": state,
        "states": [s.value for s in State], "time_zone": timezone.get_current_timezone_name(),
    })


@role_required(Role.VIEWER)
@require_GET
def rollout_detail(request: HttpRequest, rollout_id: int) -> HttpResponse:
    rollout = rollout_find(rollout_id=rollout_id)
    if rollout is None:
        return _not_found(request, rollout_id)
    status = rollout_status_of(rollout, actor_of(request))
    return render(request, "rollout/rollouts/detail.html", {
        **_fragments_context(status), "status": status, "rollout": rollout,
        "open_rollback": request.GET.get("rollback") == "1" and status.can_rollback,
        "time_zone": timezone.get_current_timezone_name(),
    })


@role_required(Role.VIEWER)
@require_GET
def rollout_status(request: HttpRequest, rollout_id: int) -> HttpResponse:
    rollout = rollout_find(rollout_id=rollout_id)
    if rollout is None:
        return JsonResponse({"detail": f"no rollout {rollout_id}"}, status=404)
    return JsonResponse(_status_json(request, rollout))


@role_required(Role.VIEWER)
@require_POST
def rollout_action(request: HttpRequest, rollout_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        return _not_found(request, rollout_id, f"no action {action!r} on rollouts")
    service, roles, done = ACTIONS[action]
    user = actor_of(request)
    if not any(role_held(user=user, role=role) for role in roles):
        return _refused(request, rollout_id, 403, _needs(action, roles))
    return _run(request, rollout_id, lambda: service(rollout_id=rollout_id, actor=user),
                f"Rollout {rollout_id} {done}.")


@role_required(Role.VIEWER)
@require_POST
def rollout_rollback_view(request: HttpRequest, rollout_id: int) -> HttpResponse:
    if not role_held(user=actor_of(request), role=Role.OPERATOR):
        return _refused(request, rollout_id, 403, _needs("roll back", (Role.OPERATOR,)))
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        return _refused(request, rollout_id, 422,
                        "A rollback needs a reason: say why in the reason box.")
    return _run(request, rollout_id,
                lambda: rollout_rollback(rollout_id=rollout_id, actor=actor_of(request),
                                         reason=reason),
                f"Rollout {rollout_id} rolled back: every region it touched is back on the "
                "version it had before.")


@role_required(Role.VIEWER)
@require_POST
def rollout_freeze_override(request: HttpRequest, rollout_id: int,
                            phase_number: int) -> HttpResponse:
    if not role_held(user=actor_of(request), role=Role.OPERATOR):
        return _refused(request, rollout_id, 403,
                        _needs("override a change freeze", (Role.OPERATOR,)))
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        return _refused(request, rollout_id, 422,
                        "Overriding a change freeze needs a written reason.")
    return _run(request, rollout_id,
                lambda: phase_freeze_override(rollout_id=rollout_id, phase_number=phase_number,
                                              reason=reason, actor=actor_of(request)),
                f"Phase {phase_number} may start during the change freeze.")


def _needs(action: str, roles: tuple[Role, ...]) -> str:
    names = " or ".join(role.value for role in roles)
    return f"This action ({action}) needs the {names} role."


def _run(request: HttpRequest, rollout_id: int, call: Callable[[], Rollout],
         success: str) -> HttpResponse:
    try:
        call()
    except RolloutError as exc:
        if exc.kind is ErrorKind.NOT_FOUND:
            return _not_found(request, rollout_id)
        message = (f"Not allowed now: {exc}." if isinstance(exc, TransitionRefused)
                   else page_message(exc))
        return _refused(request, rollout_id, page_status(exc), message, exc)
    if wants_json(request):
        rollout = rollout_find(rollout_id=rollout_id)
        assert rollout is not None
        return JsonResponse({"message": success, "status": _status_json(request, rollout)})
    messages.success(request, success)
    return redirect("web:rollout_detail", rollout_id=rollout_id)


def _refused(request: HttpRequest, rollout_id: int, status: int, detail: str,
             exc: RolloutError | None = None) -> HttpResponse:
    findings = [f.as_dict() for f in exc.findings] if exc else []
    if wants_json(request):
        return JsonResponse({"detail": detail, "findings": findings}, status=status)
    if status == 403:
        return forbidden(request, detail)
    messages.error(request, detail + "".join(f" {f['code']}: {f['message']}" for f in findings))
    return redirect("web:rollout_detail", rollout_id=rollout_id)


def _not_found(request: HttpRequest, rollout_id: int, detail: str = "") -> HttpResponse:
    detail = detail or f"There is no rollout {rollout_id}."
    if wants_json(request):
        return JsonResponse({"detail": detail}, status=404)
    return render(request, "rollout/rollouts/not_found.html", {"detail": detail}, status=404)


def _fragments_context(status: RolloutStatus) -> dict[str, Any]:
    return {"status": status, "rollout": status.rollout, "phases": status.phases,
            "events": status.events}


def _status_json(request: HttpRequest, rollout: Rollout) -> dict[str, Any]:
    """The status, plus the page's live parts rendered by the same templates as the page."""
    status = rollout_status_of(rollout, actor_of(request))
    context = _fragments_context(status)
    data = status.as_json()
    data["html"] = {
        name: render_to_string(f"rollout/rollouts/_{name}.html", context, request=request)
        for name in ("summary", "phases", "events", "actions", "rollback_changes")
    }
    return data


urlpatterns: list[URLPattern] = [
    path("rollouts/", rollout_list, name="rollout_list"),
    path("rollouts/<int:rollout_id>/", rollout_detail, name="rollout_detail"),
    path("rollouts/<int:rollout_id>/status.json", rollout_status, name="rollout_status"),
    path("rollouts/<int:rollout_id>/rollback/", rollout_rollback_view, name="rollout_rollback"),
    path("rollouts/<int:rollout_id>/phases/<int:phase_number>/freeze-override/",
         rollout_freeze_override, name="rollout_freeze_override"),
    path("rollouts/<int:rollout_id>/<str:action>/", rollout_action, name="rollout_action"),
]
