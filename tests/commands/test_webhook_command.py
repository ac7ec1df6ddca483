"""`manage.py webhook add|list|remove`: subscriptions, operator only, audited."""

from __future__ import annotations

import json

import pytest

from rollout.models import AuditEvent, WebhookSubscription
from rollout.services.roles import Role, role_grant
from tests.commands.test_bundle_commands import run
from tests.factories import user_factory

pytestmark = pytest.mark.django_db


def test_webhook_add_list_remove__operator__subscribed_listed_and_removed() -> None:
    operator = user_factory("oncall")
    role_grant(user=operator, role=Role.OPERATOR)

    status, out, _ = run("webhook", "add", "https://example.invalid/hook", "--secret",
                         "s" * 20, "--event", "activation", "--as", "oncall", "--format",
                         "json")
    [row] = json.loads(out)
    assert status == 0 and row["events"] == ["activation"] and row["active"]

    status, out, _ = run("webhook", "remove", str(row["id"]), "--as", "oncall")
    assert status == 0 and "(removed)" in out
    assert not WebhookSubscription.objects.get(id=row["id"]).active
    assert AuditEvent.objects.filter(action__startswith="webhook.").count() == 2


@pytest.mark.parametrize(("url", "secret", "event"), [
    ("ftp://example.invalid", "s" * 20, "activation"),
    ("https://example.invalid", "short", "activation"),
])
def test_webhook_add__bad_request__exit_1(url: str, secret: str, event: str) -> None:
    operator = user_factory("oncall")
    role_grant(user=operator, role=Role.OPERATOR)

    status, _, _ = run("webhook", "add", url, "--secret", secret, "--event", event,
                       "--as", "oncall")

    assert status == 1
    assert WebhookSubscription.objects.count() == 0


def test_webhook_add__not_an_operator__exit_1() -> None:
    user_factory("viewer")

    status, _, err = run("webhook", "add", "https://example.invalid", "--secret", "s" * 20,
                         "--as", "viewer")

    assert status == 1 and "operator" in err
