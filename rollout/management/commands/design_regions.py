"""`manage.py design_regions VERSION --regions K [--keep NE,MA] [--max-moves N]
[--headroom F] [--contiguous] [--balance R] [--keep-routing] [--time-limit S] [--sweep A-B]
[--format text|json] [--save --message TEXT --as USER]`.

Proposes K regions for a stored version's network (`rollout.services.designs.region_design`)
and prints them with the proposal's simulated KPIs beside the base version's. JSON (DESIGN
section 11): {"regions": [{"code", "name", "zones", "facilities", "demand", "capacity"}],
"kpis": {"base", "proposal", "delta"}, ...}. Exit 0; 1 when refused (a version with errors, a
simulation over its bounds); 2 for unusable arguments (an unknown version or region, K out of
range). A constraint the proposal misses is not a failure: it is listed under "violations".
With --save the proposal is stored as a new version, child of VERSION (the acting user needs
the editor role; a proposal with check errors is refused, exit 1), and the new version's id is
printed alone on the last line. With --sweep A-B (e.g. 4-12) the same design is also made
for every K in A..B (`rollout.services.design_sweep`): "sweep" in the JSON, one row per K
(regions, in_region_pct, trucks, fill_pct, avg_km, max_capacity_use_pct, moved_zones,
violations, seconds, skipped), and a table in the text; a malformed or too wide range exits 2.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.demand import DemandError
from rollout.domain.errors import RolloutError
from rollout.management.kpi_table import render_kpis
from rollout.management.output import (
    acting_user,
    add_format_argument,
    command_error,
    refused,
    unusable,
    write_findings,
    write_json,
)
from rollout.selectors.versions import version_get
from rollout.services.design_sweep import MAX_SWEEP, region_design_sweep, sweep_range
from rollout.services.designs import region_design_save


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
        parser.add_argument("--keep-routing", action="store_true",
                            help="keep the version's routing rules (less those of regions that "
                                 "no longer exist) instead of nearest_in_region per region")
        parser.add_argument("--save", action="store_true",
                            help="store the proposal as a new version (child of VERSION)")
        parser.add_argument("--message", help="the new version's message (with --save)")
        parser.add_argument("--as", dest="as_user", help="acting user (with --save; an editor)")
        parser.add_argument("--sweep", metavar="A-B",
                            help="also design every K from A to B (e.g. 4-12, at most "
                                 f"{MAX_SWEEP} values) and list their KPIs")
        parser.add_argument("--time-limit", type=float, default=5.0, metavar="SECONDS",
                            help="the solver's time budget (default: 5)")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["save"] and not (options["message"] or "").strip():
            raise unusable("--save needs --message TEXT saying what changed and why")
        if options["save"] and not options["as_user"]:
            raise unusable("--save needs --as USER (a user with the editor role)")
        if not options["save"] and (options["message"] or options["as_user"]):
            raise unusable("--message and --as only go with --save")
        author = acting_user(options["as_user"]) if options["save"] else None
        keep = tuple(dict.fromkeys(code.strip() for code in options["keep"].split(",")
                                   if code.strip()))
        try:
            sweep = sweep_range(options["sweep"]) if options["sweep"] is not None else None
            version = version_get(ref=options["version"])
            outcome = region_design_sweep(
                sweep=sweep, version=version, regions=options["regions"], keep=keep,
                max_moves=options["max_moves"], headroom=options["headroom"],
                contiguous=options["contiguous"], balance=options["balance"],
                keep_routing=options["keep_routing"], time_limit=options["time_limit"])
            saved = (region_design_save(outcome=outcome, message=options["message"],
                                        author=author) if options["save"] else None)
        except DemandError as exc:
            raise refused(f"{options['version']}: {exc}") from exc
        except RolloutError as exc:
            write_findings(self, exc.findings)
            raise command_error(exc) from exc
        except ValueError as exc:  # pragma: no cover - argparse types catch these first
            raise unusable(str(exc)) from exc
        payload = outcome.as_dict()
        if saved is not None:
            payload["saved_version"] = saved.id
        if options["format"] == "json":
            write_json(self, payload)
            if saved is not None:
                self.stdout.write(saved.id)
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
        checks = payload["checks"]
        self.stdout.write(f"checks: {checks['errors']} error(s), {checks['warnings']} "
                          "warning(s)")
        self.stdout.write("")
        self.stdout.write(render_kpis(outcome.kpis["proposal"], outcome.kpis["base"]))
        if outcome.sweep is not None:
            self.stdout.write("")
            self.stdout.write(render_sweep(outcome.sweep))
        if saved is not None:
            self.stdout.write(f"saved as version {saved.id} (child of {version.id})")
            self.stdout.write(saved.id)


def render_sweep(rows: list[dict[str, Any]]) -> str:
    """The sweep as a table, one line per K ("-" where a value is unknown or K was skipped)."""
    columns = (("K", "regions", "{}"), ("in-region %", "in_region_pct", "{:.1f}"),
               ("trucks", "trucks", "{:,.0f}"), ("fill %", "fill_pct", "{:.1f}"),
               ("avg km", "avg_km", "{:.1f}"), ("max cap. use %", "max_capacity_use_pct",
                                                 "{:.1f}"),
               ("moved", "moved_zones", "{:,}"), ("violations", "violations", "{}"),
               ("seconds", "seconds", "{:.2f}"))
    lines = ["  ".join(f"{title:>{max(len(title), 6)}}" for title, _, _ in columns)]
    for row in rows:
        cells = []
        for title, key, form in columns:
            value = row[key]
            text = "-" if value is None else form.format(value)
            cells.append(f"{text:>{max(len(title), 6)}}")
        lines.append("  ".join(cells) + ("  (skipped: the sweep's time ran out)"
                                         if row["skipped"] else ""))
    return "\n".join(lines)
