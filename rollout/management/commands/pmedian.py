"""`manage.py pmedian FILE [--format text|json] [--time-limit S]`: solve an OR-Library instance.

The solver's public check (issue 14): prints the objective, the medians (1-based vertex ids),
the seconds taken and, when one was proven, the lower bound. Exit 0; 2 for an unusable file.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.design.orlib import OrlibFormatError, orlib_read
from rollout.domain.design.pmedian import pmedian_solve
from rollout.domain.design.problem import SolveOptions
from rollout.management.output import add_format_argument, unusable, write_json


class Command(BaseCommand):
    help = "Solve a p-median instance in the OR-Library format (pmed1..pmed40)."
    requires_system_checks: list[str] = []  # a pure computation: no site to check

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="instance file: 'n m p', then m lines 'i j cost' "
                                         "(plain or gzipped)")
        add_format_argument(parser)
        parser.add_argument("--time-limit", type=float, default=10.0, metavar="SECONDS",
                            help="time budget; the answer says its gap when the optimum is not "
                                 "proven by then (default: 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["time_limit"] <= 0:
            raise unusable("--time-limit must be positive")
        try:
            instance = orlib_read(options["file"])
        except OrlibFormatError as exc:
            raise unusable(str(exc)) from exc
        solution = pmedian_solve(problem=instance.problem(),
                                 options=SolveOptions(time_limit=options["time_limit"]))
        payload: dict[str, Any] = {
            "objective": _number(solution.objective),
            "medians": [site + 1 for site in solution.medians],
            "seconds": round(solution.seconds, 3),
        }
        if solution.lower_bound is not None:
            payload["lower_bound"] = _number(solution.lower_bound)
        if options["format"] == "json":
            write_json(self, payload)
            return
        proof = ("optimal" if solution.optimal
                 else f"gap {100 * (solution.gap or 0):.2f}%" if solution.gap is not None
                 else "no bound")
        self.stdout.write(f"objective {payload['objective']} ({proof}), "
                          f"p = {instance.p}, n = {instance.n}, {payload['seconds']} s")
        if "lower_bound" in payload:
            self.stdout.write(f"lower bound {payload['lower_bound']}")
        self.stdout.write("medians " + " ".join(str(m) for m in payload["medians"]))


def _number(value: float) -> int | float:
    """Integral values as integers (OR-Library costs are integers), others as they are."""
    return int(value) if float(value).is_integer() else value
