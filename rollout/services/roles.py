"""Roles (DESIGN section 7): viewer (read), editor (versions, draft rollouts), approver,
operator (start, pause, resume, rollback). Stored as Django groups of those names; a superuser
has every role. Enforced in the services, so every entry point (API, UI, commands) gets the
same answer."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, Group, User


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    APPROVER = "approver"
    OPERATOR = "operator"


class RoleRequired(PermissionError):
    """The acting user lacks the role the action needs (the API answers 403)."""

    def __init__(self, role: Role, user: AbstractBaseUser | None) -> None:
        who = getattr(user, "username", None) or "anonymous"
        super().__init__(f"{who} needs the {role.value} role for this")
        self.role = role


def user_roles(user: AbstractBaseUser | None) -> set[Role]:
    if not isinstance(user, User) or not user.is_active:
        return set()
    if user.is_superuser:
        return set(Role)
    names = set(user.groups.values_list("name", flat=True))
    return {role for role in Role if role.value in names}


def has_role(user: AbstractBaseUser | None, role: Role) -> bool:
    roles = user_roles(user)
    # Anyone with a role may read.
    return role in roles or (role == Role.VIEWER and bool(roles))


def require_role(user: AbstractBaseUser | None, role: Role) -> User:
    if not has_role(user, role):
        raise RoleRequired(role, user)
    assert isinstance(user, User)
    return user


def role_grant(*, user: User, role: Role) -> None:
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
