"""`manage.py design_regions VERSION --regions K [--keep NE,MA] [--max-moves N]
[--headroom F] [--contiguous] [--balance R] [--time-limit S] [--format text|json]`.

Proposes K regions for a stored version's network (`rollout.services.designs.region_design`)
and prints them with the proposal's simulated KPIs beside the base version's. JSON (DESIGN
section 11): {"regions": [{"code", "name", "zones", "facilities", "demand", "capacity"}],
"kpis": {"base", "proposal", "delta"}, ...}. Exit 0; 1 when refused (a version with errors, a
simulation over its bounds); 2 for unusable arguments (an unknown version or region, K out of
range). A constraint the proposal misses is not a failure: it is listed under "violations".
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.demand import DemandError
from rollout.domain.errors import RolloutError
from rollout.management.kpi_table import render_kpis
from rollout.management.output import (
    add_format_argument,
    command_error,
    refused,
    unusable,
    write_json,
)
from rollout.selectors.versions import version_get
from rollout.services.designs import region_design


class Command(BaseCommand):
    help = "Propose K regions for a version's network from its demand, capacity and geography."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", help="version id (or a unique prefix of 4+ characters)")
        parser.add_argument("--regions", type=int, required=True, metavar="K",
                            help="how many regions to propose (kept ones included)")
        parser.add_argument("--keep", default="", metavar="CODES",
                            help="comma-separated regions of the version kept exactly as they are")
        parser.add_argument("--max-moves", type=int, metavar="N",
                            help="move at most N zones away from their region in the version")
        parser.add_argument("--headroom", type=float, default=0.0, metavar="F",
                            help="keep each region's demand within its FCs' capacity x (1 - F) "
                                 "(default: 0)")
        parser.add_argument("--contiguous", action="store_true",
                            help="each region's zones form one connected area")
        parser.add_argument("--balance", type=float, metavar="RATIO",
                            help="largest region demand at most RATIO x the smallest's")
        parser.add_argument("--time-limit", type=float, default=5.0, metavar="SECONDS",
                            help="the solver's time budget (default: 5)")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        keep = tuple(dict.fromkeys(code.strip() for code in options["keep"].split(",")
                                   if code.strip()))
        try:
            version = version_get(ref=options["version"])
            outcome = region_design(
                version=version, regions=options["regions"], keep=keep,
                max_moves=options["max_moves"], headroom=options["headroom"],
                contiguous=options["contiguous"], balance=options["balance"],
                time_limit=options["time_limit"])
        except DemandError as exc:
            raise refused(f"{options['version']}: {exc}") from exc
        except RolloutError as exc:
            raise command_error(exc) from exc
        except ValueError as exc:  # pragma: no cover - argparse types catch these first
            raise unusable(str(exc)) from exc
        payload = outcome.as_dict()
        if options["format"] == "json":
            write_json(self, payload)
            return
        self.stdout.write(f"{len(payload['regions'])} regions for version {version.id[:12]} "
                          f"({payload['seconds']} s), {len(payload['moved_zones'])} zone(s) "
                          "moved")
        for region in payload["regions"]:
            capacity = "unlimited" if region["capacity"] is None else f"{region['capacity']:,}"
            self.stdout.write(f"  {region['code']:<6} {region['name']:<28} "
                              f"{len(region['zones']):>6} zones  demand {region['demand']:>10,}"
                              f"  capacity {capacity:>10}  {len(region['facilities'])} "
                              "facilities")
        for violation in payload["violations"]:
            self.stdout.write(f"violation: {violation}")
        if payload["shared_facilities"]:
            self.stdout.write("in no region (unreachable inside their region): "
                              + ", ".join(payload["shared_facilities"]))
        self.stdout.write("")
        self.stdout.write(render_kpis(outcome.kpis["proposal"], outcome.kpis["base"]))
