"""`manage.py webhook add|list|remove`: subscriptions, operator only, audited."""

from __future__ import annotations

import json

import pytest
from pytest_django.fixtures import Settings

from rollout.models import AuditEvent, WebhookSubscription
from rollout.services.roles import Role, role_grant
from tests.commands.test_bundle_commands import run
from tests.factories import user_factory

pytestmark = pytest.mark.django_db


def test_webhook_add_list_remove__operator__subscribed_listed_and_removed(
        settings: Settings) -> None:
    settings.RRM_WEBHOOK_ALLOW_PRIVATE = True  # a receiver on this machine, as in development
    operator = user_factory("oncall")
    role_grant(user=operator, role=Role.OPERATOR)

    status, out, _ = run("webhook", "add", "http://127.0.0.1:9/hook", "--secret",
                         "s" * 20, "--event", "activation", "--as", "oncall", "--format",
                         "json")
    [row] = json.loads(out)
    assert status == 0 and row["events"] == ["activation"] and row["active"]

    status, out, _ = run("webhook", "remove", str(row["id"]), "--as", "oncall")
    assert status == 0 and "(removed)" in out
    assert not WebhookSubscription.objects.get(id=row["id"]).active
    assert AuditEvent.objects.filter(action__startswith="webhook.").count() == 2


@pytest.mark.parametrize(("url", "secret", "said"), [
    ("ftp://127.0.0.1", "s" * 20, "not an http(s) URL"),
    ("http://127.0.0.1:9/hook", "short", "16 to 128 characters"),
    ("http://127.0.0.1:9/hook", "s" * 129, "16 to 128 characters"),
    ("http://127.0.0.1:9/hook", "s" * 20 + "\x1b", "no control characters"),
    ("https://example.invalid/hook", "s" * 20, "does not resolve"),
    ("http://127.0.0.1:8000/api/v1/rollouts", "s" * 20, "127.0.0.1 is a loopback address"),
    ("http://localhost/hook", "s" * 20, "is a loopback address"),
    ("http://10.1.2.3/hook", "s" * 20, "10.1.2.3 is a private address"),
    ("http://169.254.169.254/latest/meta-data", "s" * 20, "is a link-local address"),
    ("http://[::ffff:192.168.0.1]/hook", "s" * 20, "is a private address (192.168.0.1 inside it)"),
    ("http://224.0.0.1/hook", "s" * 20, "multicast"),
])
def test_webhook_add__bad_request__exit_1_with_the_reason(url: str, secret: str,
                                                          said: str) -> None:
    operator = user_factory("oncall")
    role_grant(user=operator, role=Role.OPERATOR)

    status, _, err = run("webhook", "add", url, "--secret", secret, "--as", "oncall")

    assert status == 1
    assert said in err
    assert WebhookSubscription.objects.count() == 0


def test_webhook_add__not_an_operator__exit_1() -> None:
    user_factory("viewer")

    status, _, err = run("webhook", "add", "https://example.invalid", "--secret", "s" * 20,
                         "--as", "viewer")

    assert status == 1 and "operator" in err
