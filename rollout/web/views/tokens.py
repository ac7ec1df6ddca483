"""The API tokens page: each user lists, creates and revokes their own tokens.

A new token's text is shown once, in the response to the POST that created it (never in a URL,
a session message or a cache: the response is `no-store`); only its hash is kept. A token's
role is limited to the roles its user already holds, since creating a token grants its role.
Superusers may list and revoke everyone's tokens.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from rollout.models import ApiToken
from rollout.selectors.tokens import token_get, token_list
from rollout.services.roles import Role, role_allowed, user_roles
from rollout.services.tokens import MAX_EXPIRY_DAYS, TokenRefused, token_create, token_revoke
from rollout.web.access import role_required


def token_roles(user: User) -> list[Role]:
    """The roles `user` may put on a token: those they hold (reading comes with any role)."""
    held = user_roles(user=user)
    return [role for role in Role if role_allowed(held=held, role=role)]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name",
                           help_text="What the token is for, e.g. “CI deploy job”.")
    role = forms.ChoiceField(label="Role")
    expires_in_days = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_EXPIRY_DAYS, label="Expires in (days)",
        help_text="Leave empty for a token that does not expire.")

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.value) for r in roles]  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["role"].initial = Role.VIEWER.value


def _sees_all(user: User) -> bool:
    # Superusers only: a staff flag alone (admin access, perhaps with just the viewer role)
    # must not be enough to revoke an operator's CI token.
    return user.is_superuser


def _page(request: HttpRequest, form: TokenForm, *, new_token: str = "",
          created: ApiToken | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # role_required let only a user with a role in
    show_all = _sees_all(user) and request.GET.get("all") == "1"
    tokens = token_list(user=None if show_all else user)
    return render(request, "rollout/tokens.html", {
        "form": form, "tokens": tokens, "new_token": new_token, "created": created,
        "show_all": show_all, "can_see_all": _sees_all(user), "now": timezone.now(),
    }, status=status)


@never_cache
@role_required(Role.VIEWER)
def tokens_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    roles = token_roles(user)
    if request.method != "POST":
        return _page(request, TokenForm(roles=roles))
    form = TokenForm(request.POST, roles=roles)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        token, text = token_create(user=user, role=Role(form.cleaned_data["role"]),
                                   name=form.cleaned_data["name"],
                                   expires_in_days=form.cleaned_data["expires_in_days"],
                                   actor=user)
    except TokenRefused as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=400)
    # The text goes into this response only: no redirect, nothing kept in the session.
    return _page(request, TokenForm(roles=roles), new_token=text, created=token)


@role_required(Role.VIEWER)  # first, so that anonymous visitors are sent to log in
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    token = token_get(token_id=token_id)
    # Someone else's token is answered like a missing one: its existence is not theirs to know.
    if token is None or (token.user_id != user.id and not _sees_all(user)):
        raise Http404("no such token")
    if token.revoked_at is not None:
        messages.info(request, f"Token {token.prefix} was already revoked.")
    else:
        token_revoke(token_id=token.id, actor=user)
        messages.success(request, f"Token {token.prefix} ({token.name or 'unnamed'}) revoked: "
                                  "it no longer authenticates.")
    url = reverse("web:tokens")
    return HttpResponseRedirect(url + ("?all=1" if token.user_id != user.id else ""))


urlpatterns: list[URLPattern] = [
    path("tokens/", tokens_page, name="tokens"),
    path("tokens/<int:token_id>/revoke/", token_revoke_view, name="token_revoke"),
]
