"""Users: a login with a password and its roles, in one audited step (`manage.py create_user`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.services.audit import audit_record
from rollout.services.roles import Role, role_grant


class UserRefused(RolloutError, ValueError):
    """A user that cannot be created as asked: unknown role, bad name or password."""

    kind = ErrorKind.UNUSABLE


class UserExists(UserRefused):
    """The user name is taken."""

    kind = ErrorKind.CONFLICT


def _roles_from_names(names: Iterable[str]) -> list[Role]:
    """The roles named, in the catalogue's order; every unknown name refused at once."""
    wanted = {name.strip().lower() for name in names}
    unknown = sorted(wanted - {role.value for role in Role})
    if unknown:
        raise UserRefused(f"unknown role{'s' if len(unknown) > 1 else ''} "
                          f"{', '.join(repr(name) for name in unknown)}: the roles are "
                          f"{', '.join(role.value for role in Role)}")
    return [role for role in Role if role.value in wanted]


def user_create(*, username: str, password: str | None, roles: Iterable[str],
                actor: AbstractBaseUser | None = None) -> User:
    """A new active user with `password` (None: no password login, e.g. a service account that
    only uses API tokens) and the named roles, audited as `user.created`.

    With an `actor` (a web or API caller) only a superuser may create users; without one (the
    command line, run by whoever administers the machine) the caller is trusted.
    """
    if actor is not None and not (isinstance(actor, User) and actor.is_active
                                  and actor.is_superuser):
        who = getattr(actor, "username", None) or "anonymous"
        raise UserRefused(f"{who} may not create users (only a superuser may)")
    granted = _roles_from_names(roles)
    if not granted:
        raise UserRefused("a user needs at least one role: "
                          f"{', '.join(role.value for role in Role)}")
    candidate = User(username=username)
    try:
        candidate.clean_fields(exclude=["password"])
    except ValidationError as exc:
        problems = "; ".join(message for messages in exc.message_dict.values()
                             for message in messages)
        raise UserRefused(f"user name {username!r}: {problems}") from None
    if password is not None:
        if not password:
            raise UserRefused("the password is empty")
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise UserRefused(f"password refused: {' '.join(exc.messages)}") from None
    taken = UserExists(f"user {username!r} exists already")
    if User.objects.filter(username=username).exists():
        raise taken
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password)
            for role in granted:
                role_grant(user=user, role=role)
            audit_record(actor=actor, action="user.created", object_type="user",
                         object_id=username,
                         details={"roles": [role.value for role in granted],
                                  "password": password is not None})
    except IntegrityError:  # created by someone else since the look above
        raise taken from None
    return user
