"""Template context every page gets: the navigation and the user's roles."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from rollout.services.roles import Role, user_roles

#: (url name, label, role needed to see the link)
NAVIGATION = (
    ("web:dashboard", "Dashboard", Role.VIEWER),
    ("web:version_list", "Versions", Role.VIEWER),
    ("web:simulate", "Simulate", Role.VIEWER),
    ("web:design", "Design regions", Role.VIEWER),
    ("web:rollout_list", "Rollouts", Role.VIEWER),
    ("web:freezes", "Freezes", Role.VIEWER),
    ("web:audit", "Audit log", Role.VIEWER),
    ("web:tokens", "API tokens", Role.VIEWER),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = user_roles(user=user)
    links = []
    current = request.path
    for name, label, role in NAVIGATION:
        if not (role in roles or (role == Role.VIEWER and roles)):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # a page not wired (yet) is simply not in the menu
            continue
        active = current == url if url == "/" else current.startswith(url)
        links.append({"url": url, "label": label, "active": active})
    return {
        "nav_links": links,
        "user_roles": sorted(role.value for role in roles),
        "can": {**{role.value: (role in roles) for role in Role}, "viewer": bool(roles)},
    }
