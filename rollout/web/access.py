"""Who may see which page: login first, then the role the page needs (DESIGN section 7 roles).

Pages check the role up front so that a forbidden user gets a clear 403 page instead of a form
that fails later; the services check again, so the UI is never the only guard.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from rollout.services.roles import Role, role_held, user_roles

View = TypeVar("View", bound=Callable[..., HttpResponse])


def role_required(role: Role) -> Callable[[View], View]:
    """Anonymous users go to the login page; users without `role` get a 403 page naming it."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            wants_json = _wants_json(request)
            if not request.user.is_authenticated:
                if wants_json:  # a script's fetch must not follow a redirect to a login page
                    return JsonResponse({"detail": "Your session has ended: log in again."},
                                        status=401)
                return redirect_to_login(request.get_full_path())
            if not role_held(user=request.user, role=role):
                message = f"This page needs the {role.value} role."
                if wants_json:
                    return JsonResponse({"detail": message}, status=403)
                return forbidden(request, message)
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator


def actor_of(request: HttpRequest) -> User | None:
    """The logged-in user (the views are behind `role_required`, so never anonymous there)."""
    return request.user if isinstance(request.user, User) else None


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "rollout/forbidden.html", {"message": message}, status=403)


def roles_of(request: HttpRequest) -> set[Role]:
    return user_roles(user=request.user)  # type: ignore[arg-type]  # AnonymousUser has no roles
