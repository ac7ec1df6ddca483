"""`manage.py webhook add URL --secret S [--event activation --event rollback] | list |
remove ID`: subscriptions to activation events (HMAC-SHA256-signed JSON POSTs).

`add` refuses URLs whose host resolves to a loopback, private, link-local or multicast address
unless RRM_WEBHOOK_ALLOW_PRIVATE is on; `remove` also stops the subscription's pending retries.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.errors import RolloutError
from rollout.management.output import acting_user, add_format_argument, command_error, write_json
from rollout.selectors.webhooks import webhook_list
from rollout.services.webhooks import (
    EVENTS,
    webhook_subscribe,
    webhook_unsubscribe,
)


class Command(BaseCommand):
    help = "Manage webhook subscriptions to activation and rollback events."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add")
        add.add_argument("url")
        add.add_argument("--secret", required=True, help="shared secret for the signature")
        add.add_argument("--event", action="append", default=[],
                         choices=EVENTS, help="default: all events")
        remove = sub.add_parser("remove")
        remove.add_argument("id", type=int)
        sub.add_parser("list")
        for action_parser in sub.choices.values():
            action_parser.add_argument("--as", dest="as_user", help="acting user")
            add_format_argument(action_parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options.get("as_user"))
        try:
            if options["action"] == "add":
                webhook_subscribe(url=options["url"], secret=options["secret"],
                                  events=options["event"], actor=actor)
            elif options["action"] == "remove":
                webhook_unsubscribe(subscription_id=options["id"], actor=actor)
        except RolloutError as exc:
            raise command_error(exc) from exc
        rows: list[dict[str, Any]] = [
            {"id": s.id, "url": s.url, "events": s.events or ["*"], "active": s.active}
            for s in webhook_list()
        ]
        if options["format"] == "json":
            write_json(self, rows)
            return
        for row in rows:
            self.stdout.write(f"{row['id']:>4}  {row['url']}  events={','.join(row['events'])}"
                              f"{'' if row['active'] else '  (removed)'}")
