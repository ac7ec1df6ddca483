"""`manage.py rollout create|approve|start|pause|resume|cancel|rollback|status` (DESIGN 9).

Every subcommand takes `--as USER` (the acting user) and `--format text|json`; exit 0 on
success, 1 when the state machine or a check refuses, 2 for unusable arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.errors import RolloutError
from rollout.management.output import (
    acting_user,
    add_format_argument,
    command_error,
    unusable,
    write_findings,
    write_json,
)
from rollout.models import Rollout
from rollout.selectors import version_get
from rollout.selectors.rollouts import rollout_find, rollout_status
from rollout.services.rollouts import (
    GatePlan,
    PhasePlan,
    RolloutNotFound,
    rollout_approve,
    rollout_cancel,
    rollout_create,
    rollout_pause,
    rollout_resume,
    rollout_rollback,
    rollout_start,
)

TRANSITIONS: dict[str, Callable[..., Rollout]] = {
    "approve": rollout_approve,
    "start": rollout_start,
    "pause": rollout_pause,
    "resume": rollout_resume,
    "cancel": rollout_cancel,
}


class Command(BaseCommand):
    help = "Create, move through its states, roll back and inspect rollouts."
    # A pipeline step wants its answer, not a site check (half a second per call): the site's
    # checks run at migrate and start-up. As `validate` does.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a draft rollout of a version")
        create.add_argument("version")
        create.add_argument("--phase", action="append", required=True,
                            help="comma-separated region codes; repeat for each phase")
        create.add_argument("--bake-minutes", type=float, default=60.0)
        create.add_argument("--gate", action="append", default=[],
                            help="KPI:MAX_REGRESSION_PCT, e.g. in_region_pct:2")
        create.add_argument("--gate-query", action="append", default=[], metavar="KPI=PROMQL",
                            help="read the --gate on KPI from Prometheus (RRM_PROMETHEUS_URL) "
                                 "with this query naming $region, e.g. "
                                 "'in_region_pct=avg(in_region_pct{region=\"$region\"})'")
        create.add_argument("--on-gate-failure", choices=("rollback", "pause"),
                            default="rollback")
        for name in (*TRANSITIONS, "status"):
            action = sub.add_parser(name, help=f"{name} a rollout")
            action.add_argument("id", type=int)
        rollback = sub.add_parser("rollback", help="roll back every region the rollout touched")
        rollback.add_argument("id", type=int)
        rollback.add_argument("--reason", required=True)
        for action_parser in sub.choices.values():
            action_parser.add_argument("--as", dest="as_user", help="acting user")
            add_format_argument(action_parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options.get("as_user"))
        action = options["action"]
        try:
            if action == "create":
                rollout = self._create(options, actor)
            elif action == "rollback":
                rollout = rollout_rollback(rollout_id=options["id"], actor=actor,
                                           reason=options["reason"])
            elif action == "status":
                rollout = self._get(options["id"])
            else:
                rollout = TRANSITIONS[action](rollout_id=options["id"], actor=actor)
        except RolloutError as exc:
            write_findings(self, exc.findings)
            raise command_error(exc) from exc
        self._print(rollout, options["format"], last_line_id=action == "create")

    def _create(self, options: dict[str, Any], actor: User | None) -> Rollout:
        version = version_get(ref=options["version"])  # an unknown one: exit 2
        phases = [PhasePlan(regions=[r.strip() for r in phase.split(",") if r.strip()],
                            bake_minutes=options["bake_minutes"])
                  for phase in options["phase"]]
        queries: dict[str, str] = {}
        for text in options["gate_query"]:
            kpi, equals, query = text.partition("=")
            if not equals or not kpi.strip():
                raise unusable(f"--gate-query {text!r}: expected KPI=PROMQL")
            queries[kpi.strip()] = query
        gates = []
        for text in options["gate"]:
            kpi, _, limit = text.partition(":")
            try:
                gates.append(GatePlan(kpi=kpi.strip(), max_regression_pct=float(limit),
                                      query=queries.pop(kpi.strip(), "")))
            except ValueError:
                raise unusable(f"--gate {text!r}: expected KPI:MAX_REGRESSION_PCT") from None
        if queries:  # the query's checks (it names $region, ...) are the service's
            raise unusable(f"--gate-query for {', '.join(sorted(queries))} but no --gate on "
                           "that KPI")
        return rollout_create(version=version, phases=phases, gates=gates,
                              on_gate_failure=options["on_gate_failure"], actor=actor)

    def _get(self, rollout_id: int) -> Rollout:
        rollout = rollout_find(rollout_id=rollout_id)
        if rollout is None:
            raise RolloutNotFound(f"no rollout {rollout_id}")
        return rollout

    def _print(self, rollout: Rollout, output: str, *, last_line_id: bool) -> None:
        status = rollout_status(rollout=rollout)
        if output == "json":
            write_json(self, status)
            return
        self.stdout.write(f"rollout {status['id']} of version {status['version']}: "
                          f"{status['state']}")
        for number, phase in enumerate(status["phases"], start=1):
            self.stdout.write(f"  phase {number}: {','.join(phase['regions']):<24} "
                              f"{phase['state']:<12} {phase['started_at'] or ''}")
        if last_line_id:
            self.stdout.write(str(rollout.id))


