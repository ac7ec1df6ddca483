"""Who may do what (rollout.services.roles), and every service that changes something checking
it itself: a user without the role is refused by the service, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db.models import Model
from django.utils import timezone

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.models import ApiToken, FreezeWindow, WebhookSubscription
from rollout.services.activations import region_rollback
from rollout.services.freezes import freeze_create, freeze_end, phase_freeze_override
from rollout.services.kpis import kpi_observation_record, kpi_snapshot_record_simulated
from rollout.services.roles import (
    Role,
    RoleRequired,
    role_allowed,
    role_grant,
    role_held,
    role_require,
    role_require_any,
    role_require_or_process,
    user_roles,
)
from rollout.services.rollbacks import rollout_rollback
from rollout.services.rollouts import (
    rollout_approve,
    rollout_cancel,
    rollout_create,
    rollout_pause,
    rollout_resume,
    rollout_start,
    rollout_update_plan,
)
from rollout.services.simulations import simulation_job_create, simulation_request
from rollout.services.tokens import TokenForbidden, token_create, token_revoke
from rollout.services.users import UserRefused, user_create
from rollout.services.versions import version_create
from rollout.services.webhooks import webhook_subscribe, webhook_unsubscribe
from tests.factories import east_coast_files, user_factory
from tests.rollout_factories import People, make_live, original_version, phases_of, rollout_factory
from tests.rollout_factories import people as make_people

pytestmark = pytest.mark.django_db

# --- the rules ------------------------------------------------------------------------------


def test_user_roles__groups__those_roles(who: People) -> None:
    assert user_roles(user=who.editor) == {Role.EDITOR}


def test_user_roles__superuser__every_role() -> None:
    admin = user_factory("root", is_superuser=True)

    assert user_roles(user=admin) == set(Role)


def test_user_roles__inactive_or_nobody__none(who: People) -> None:
    who.operator.is_active = False

    assert user_roles(user=who.operator) == set()
    assert user_roles(user=None) == set()


@pytest.mark.parametrize(("held", "role", "token_role", "may"), [
    ({Role.EDITOR}, Role.EDITOR, None, True),
    ({Role.EDITOR}, Role.VIEWER, None, True),  # anyone with a role may read
    (set(), Role.VIEWER, None, False),
    ({Role.EDITOR}, Role.OPERATOR, None, False),
    ({Role.EDITOR, Role.OPERATOR}, Role.OPERATOR, Role.EDITOR, False),  # the token limits
    ({Role.OPERATOR}, Role.OPERATOR, Role.OPERATOR, True),
    ({Role.OPERATOR}, Role.VIEWER, Role.OBSERVER, True),
    (set(), Role.OPERATOR, Role.OPERATOR, False),  # a token never gives more than its user
])
def test_role_allowed__held_and_token_roles__both_must_allow(
        held: set[Role], role: Role, token_role: Role | None, may: bool) -> None:
    assert role_allowed(held=held, role=role, token_role=token_role) is may


def test_role_held__user_with_and_without(who: People) -> None:
    assert role_held(user=who.approver, role=Role.APPROVER)
    assert not role_held(user=who.approver, role=Role.OPERATOR)
    assert not role_held(user=None, role=Role.VIEWER)


def test_role_require__holder__returns_the_user(who: People) -> None:
    assert role_require(user=who.operator, role=Role.OPERATOR) == who.operator


def test_role_require__without__role_required_naming_user_and_role(who: People) -> None:
    with pytest.raises(RoleRequired, match="vera needs the operator role") as raised:
        role_require(user=who.viewer, role=Role.OPERATOR)

    assert raised.value.role is Role.OPERATOR
    assert raised.value.kind is ErrorKind.FORBIDDEN


def test_role_require__anonymous__named_anonymous() -> None:
    with pytest.raises(RoleRequired, match="anonymous needs the viewer role"):
        role_require(user=None, role=Role.VIEWER)


def test_role_require_any__one_held__returns_the_user(who: People) -> None:
    assert role_require_any(user=who.editor, roles=(Role.EDITOR, Role.OPERATOR)) == who.editor


def test_role_require_any__none_held__names_them_all(who: People) -> None:
    with pytest.raises(RoleRequired, match="needs the editor or operator role"):
        role_require_any(user=who.approver, roles=(Role.EDITOR, Role.OPERATOR))


def test_role_require_or_process__no_actor__the_process_acts() -> None:
    assert role_require_or_process(actor=None, roles=(Role.EDITOR,)) is None


def test_role_require_or_process__actor__needs_the_role(who: People) -> None:
    assert role_require_or_process(actor=who.editor, roles=(Role.EDITOR,)) == who.editor
    with pytest.raises(RoleRequired):
        role_require_or_process(actor=who.viewer, roles=(Role.EDITOR,))


def test_role_grant__twice__one_group_the_role_held() -> None:
    user = user_factory("new")

    role_grant(user=user, role=Role.APPROVER)
    role_grant(user=user, role=Role.APPROVER)

    assert user.groups.filter(name="approver").count() == 1
    assert role_held(user=user, role=Role.APPROVER)


# --- every writing service checks the role itself -------------------------------------------

def _row_counts() -> dict[str, int]:
    models: list[type[Model]] = [*apps.get_app_config("rollout").get_models(), User]
    return {model.__name__: model._default_manager.count() for model in models}


def _a_window(who: People) -> int:
    now = timezone.now()
    return FreezeWindow.objects.create(starts_at=now - timedelta(hours=1),
                                       ends_at=now + timedelta(hours=1), reason="peak",
                                       created_by=who.approver).id


def _a_subscription(who: People) -> int:
    return WebhookSubscription.objects.create(url="https://hooks.example.com/x",
                                              secret="s" * 32, created_by=who.operator).id


def _a_draft(who: People) -> int:
    return rollout_factory(original_version(), ["NE"], who=who).id


def _a_running(who: People) -> int:
    return rollout_factory(original_version(), ["NE"], who=who, state="running").id


#: (service, who is refused, how it is called): every call must raise RoleRequired before any
#: row is written. `setup` makes what the call needs (its return value is passed on).
REFUSALS: list[tuple[str, Callable[[People], Any], Callable[[People, Any, User], Any]]] = [
    ("version_create", lambda who: None,
     lambda who, _, user: version_create(files=east_coast_files(), message="m", author=user)),
    ("kpi_observation_record", lambda who: None,
     lambda who, _, user: kpi_observation_record(region="NE", values={"trucks": 4},
                                                 actor=user)),
    ("kpi_snapshot_record_simulated", lambda who: original_version(),
     lambda who, version, user: kpi_snapshot_record_simulated(version=version, region="NE",
                                                              actor=user)),
    ("rollout_create", lambda who: original_version(),
     lambda who, version, user: rollout_create(version=version, phases=phases_of(["NE"]),
                                               actor=user)),
    ("rollout_update_plan", _a_draft,
     lambda who, rid, user: rollout_update_plan(rollout_id=rid, phases=phases_of(["MA"]),
                                                actor=user)),
    ("rollout_approve", _a_draft, lambda who, rid, user: rollout_approve(rollout_id=rid,
                                                                         actor=user)),
    ("rollout_start", _a_draft, lambda who, rid, user: rollout_start(rollout_id=rid, actor=user)),
    ("rollout_pause", _a_running, lambda who, rid, user: rollout_pause(rollout_id=rid,
                                                                       actor=user)),
    ("rollout_resume", _a_running, lambda who, rid, user: rollout_resume(rollout_id=rid,
                                                                         actor=user)),
    ("rollout_cancel", _a_draft, lambda who, rid, user: rollout_cancel(rollout_id=rid,
                                                                       actor=user)),
    ("rollout_rollback", _a_running,
     lambda who, rid, user: rollout_rollback(rollout_id=rid, actor=user, reason="bad")),
    ("region_rollback", lambda who: make_live(original_version()),
     lambda who, _, user: region_rollback(region="NE", version=None, reason="bad",
                                          actor=user)),
    ("freeze_create", lambda who: None,
     lambda who, _, user: freeze_create(starts_at=_soon(1), ends_at=_soon(2), reason="peak",
                                        actor=user)),
    ("freeze_end", _a_window,
     lambda who, wid, user: freeze_end(window_id=wid, reason="over", actor=user)),
    ("phase_freeze_override", _a_draft,
     lambda who, rid, user: phase_freeze_override(rollout_id=rid, phase_number=1,
                                                  reason="urgent", actor=user)),
    ("webhook_subscribe", lambda who: None,
     lambda who, _, user: webhook_subscribe(url="https://hooks.example.com/y",
                                            secret="s" * 32, events=[], actor=user)),
    ("webhook_unsubscribe", _a_subscription,
     lambda who, sid, user: webhook_unsubscribe(subscription_id=sid, actor=user)),
    ("simulation_request", lambda who: original_version(),
     lambda who, version, user: simulation_request(version=version, actor=user)),
    ("simulation_job_create", lambda who: original_version(),
     lambda who, version, user: simulation_job_create(version=version, actor=user)),
]


def _soon(hours: int) -> datetime:
    return timezone.now() + timedelta(hours=hours)


@pytest.mark.parametrize(("service", "setup", "call"), REFUSALS,
                         ids=[name for name, _, _ in REFUSALS])
def test_writing_service__user_without_the_role__refused_nothing_written(
        service: str, setup: Callable[[People], Any],
        call: Callable[[People, Any, User], Any]) -> None:
    # Given the people of every role, what the call needs, and a user with no role at all
    who = make_people()
    made = setup(who)
    nobody = user_factory("nobody")
    before = _row_counts()

    # When the user without the role calls the service, Then it refuses and writes nothing
    with pytest.raises(RoleRequired):
        call(who, made, nobody)
    assert _row_counts() == before


def test_token_create__actor_without_the_role__refused_nothing_written(who: People) -> None:
    before = _row_counts()

    with pytest.raises(RolloutError, match="does not hold the operator role"):
        token_create(user=who.viewer, role=Role.OPERATOR, actor=who.viewer)

    assert _row_counts() == before


def test_token_revoke__someone_elses_token__refused_nothing_written(who: People) -> None:
    token, _ = token_create(user=who.operator, role=Role.OPERATOR)
    before = _row_counts()

    with pytest.raises(TokenForbidden, match="vera may not revoke another user's token"):
        token_revoke(token_id=token.id, actor=who.viewer)

    assert _row_counts() == before
    assert ApiToken.objects.get(id=token.id).revoked_at is None


def test_token_revoke__own_token_or_superuser__revoked(who: People) -> None:
    own, _ = token_create(user=who.viewer, role=Role.VIEWER)
    other, _ = token_create(user=who.operator, role=Role.OPERATOR)

    token_revoke(token_id=own.id, actor=who.viewer)
    token_revoke(token_id=other.id, actor=user_factory("root", is_superuser=True))

    assert not ApiToken.objects.filter(revoked_at=None).exists()


def test_user_create__actor_not_superuser__refused_nothing_written(who: People) -> None:
    before = _row_counts()

    with pytest.raises(UserRefused, match="only a superuser may"):
        user_create(username="eve", password=None, roles=["viewer"], actor=who.operator)

    assert _row_counts() == before
