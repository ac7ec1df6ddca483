"""Login throttling with django-axes: by user name and by client address, audited.

Axes counts failed logins in the database (so every web process sees the same count) and
refuses further attempts for a cool-off once a user name, or an address, reaches the limit
(settings AXES_FAILURE_LIMIT, AXES_COOLOFF_TIME). This module is the app's side of it: where a
request comes from behind a proxy, and the audit events for failed logins and lockouts.

API tokens never go through `authenticate()`, so they are not throttled here (their writes
have their own per-token rate limit).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rollout.services.audit import audit_record

logger = logging.getLogger(__name__)

#: AuditEvent.object_id's length: a user name typed at the login form may be longer
_OBJECT_ID_LENGTH = 64


def username_of(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The user name a login attempt is counted under (AXES_USERNAME_CALLABLE): what was typed,
    cut to the longest a user name can be. The login form does not check the length, and axes
    stores the name in a 255-character column: a longer one would be a database error (a 500
    on PostgreSQL), not a failed login."""
    source = credentials if credentials else request.POST
    name = source.get("username") if source else None
    if name is None:
        return None
    return str(name)[:User._meta.get_field("username").max_length]


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from (AXES_CLIENT_IP_CALLABLE).

    Behind RRM_PROXY_COUNT reverse proxies, each of which appends the address it received the
    request from to X-Forwarded-For, that address is the header's entry RRM_PROXY_COUNT from
    the right: the entries left of it were written by the client and prove nothing. Without
    proxies (or without a usable header) it is the connection's own address.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.RRM_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    if len(entries) < proxies:
        return remote
    candidate = entries[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """The page a locked-out login gets (AXES_LOCKOUT_CALLABLE): 429, with the limit and how
    long the pause lasts."""
    return render(request, "registration/locked_out.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off_minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }, status=429)


class ThrottledLoginBackend(AxesStandaloneBackend):
    """Axes' check before the password is: refused while the user name or address is locked.

    `authenticate()` without a request (a script, Django's test client `login()`) comes from
    no address and is not throttled here; every login form passes its request.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


class AuditedAxesHandler(AxesDatabaseHandler):
    """Axes' database handler, which also writes `login.failed` for every failed login and
    `login.locked_out` for the failure that locks a user name or address out."""

    def user_login_failed(self, sender: Any, credentials: dict[str, Any],
                          request: HttpRequest | None = None, **kwargs: Any) -> None:
        already_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        username = str(get_client_username(request, credentials) or "")
        name = username.replace("\0", "")[:_OBJECT_ID_LENGTH]
        details = {"ip": getattr(request, "axes_ip_address", None),
                   "path": request.path[:200]}
        if already_locked:
            # refused before the password was looked at: the cool-off is still running
            audit_record(actor=None, action="login.failed", object_type="user", object_id=name,
                         details={**details, "locked_out": True})
            return
        failures = getattr(request, "axes_failures_since_start", None)
        audit_record(actor=None, action="login.failed", object_type="user", object_id=name,
                     details={**details, "failures": failures})
        if getattr(request, "axes_locked_out", False):
            audit_record(actor=None, action="login.locked_out", object_type="user",
                         object_id=name,
                         details={**details, "failures": failures,
                                  "limit": settings.AXES_FAILURE_LIMIT,
                                  "cool_off_minutes":
                                      settings.AXES_COOLOFF_TIME.total_seconds() / 60})
            logger.warning("login.locked_out username=%r ip=%s failures=%s", name,
                           details["ip"], failures)
