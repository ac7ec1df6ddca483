"""Roles (DESIGN section 7 and 11): viewer (read), editor (versions, draft rollouts), approver,
operator (start, pause, resume, rollback), observer (a service account that posts KPI
observations). Stored as Django groups of those names; a superuser has every role. Enforced in
the services, so every entry point (API, UI, commands) gets the same answer.

A caller acting through an API token may do what its token's role allows *and* what its user's
current roles allow (`role_allowed`): taking a role from a user, or deactivating the user, takes
it from their tokens too.

Every service that changes something takes its `actor` and checks the role itself. No actor
(`None`) is the process acting on its own authority: the engine and the Celery tasks, the demo
loader, a command run without `--as`/`--author` by whoever administers the machine. Services
the process may call that way say so and use `role_require_or_process`; all others refuse no
actor as they refuse a user without the role (the API and the pages always pass their caller).
"""

from __future__ import annotations

from collections.abc import Set
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, Group, User

from rollout.domain.errors import ErrorKind, RolloutError


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    APPROVER = "approver"
    OPERATOR = "operator"
    OBSERVER = "observer"


#: Who may post the KPI observations gates are judged on: monitoring (its service account) and
#: operators; not editors, whose changes the gates judge.
OBSERVATION_ROLES = (Role.OBSERVER, Role.OPERATOR)
#: Who may cancel a rollout that has not started: editors (who draft them) and operators.
CANCEL_ROLES = (Role.EDITOR, Role.OPERATOR)


class RoleRequired(RolloutError, PermissionError):
    """The acting user lacks the role the action needs (the API answers 403)."""

    kind = ErrorKind.FORBIDDEN

    def __init__(self, role: Role, user: AbstractBaseUser | None,
                 *alternatives: Role) -> None:
        who = getattr(user, "username", None) or "anonymous"
        needed = " or ".join(r.value for r in (role, *alternatives))
        super().__init__(f"{who} needs the {needed} role for this")
        self.role = role


def user_roles(*, user: AbstractBaseUser | None) -> set[Role]:
    """The roles `user` holds now: none when inactive, all of them for a superuser."""
    if not isinstance(user, User) or not user.is_active:
        return set()
    if user.is_superuser:
        return set(Role)
    names = set(user.groups.values_list("name", flat=True))
    return {role for role in Role if role.value in names}


def role_allowed(*, held: Set[Role], role: Role, token_role: Role | None = None) -> bool:
    """Whether a caller whose user holds `held` may act with `role`: holding it (anyone with a
    role may read). Through a token, the token's role must allow it too."""
    def allows(roles: Set[Role]) -> bool:
        return role in roles or (role == Role.VIEWER and bool(roles))

    return allows(held) and (token_role is None or allows({token_role}))


def role_held(*, user: AbstractBaseUser | None, role: Role) -> bool:
    """Whether `user` may act with `role` now (`role_allowed` over their roles)."""
    return role_allowed(held=user_roles(user=user), role=role)


def role_require(*, user: AbstractBaseUser | None, role: Role) -> User:
    """`user`, if they may act with `role`; RoleRequired otherwise."""
    if not role_held(user=user, role=role):
        raise RoleRequired(role, user)
    assert isinstance(user, User)
    return user


def role_require_any(*, user: AbstractBaseUser | None, roles: tuple[Role, ...]) -> User:
    """`user`, if they hold one of `roles`; RoleRequired naming all of them otherwise."""
    held = user_roles(user=user)
    if not any(role_allowed(held=held, role=role) for role in roles):
        raise RoleRequired(roles[0], user, *roles[1:])
    assert isinstance(user, User)
    return user


def role_require_or_process(*, actor: AbstractBaseUser | None,
                            roles: tuple[Role, ...]) -> User | None:
    """None when there is no actor (the process itself acts: see the module's docstring);
    otherwise `actor`, if they hold one of `roles` (RoleRequired naming them otherwise)."""
    if actor is None:
        return None
    return role_require_any(user=actor, roles=roles)


def role_grant(*, user: User, role: Role) -> None:
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
