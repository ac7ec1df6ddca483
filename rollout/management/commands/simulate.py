"""`manage.py simulate PATH|VERSION [--orders FILE.csv] [--baseline PATH|VERSION]
[--format text|json]`: KPIs per region and in total, optionally against a baseline.

JSON: {"total": {KPIs}, "regions": {CODE: {KPIs}}}, plus "baseline" and "delta" (after minus
before, same shape) with --baseline. Stored versions are simulated once per demand and cached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rollout.domain.bundle import BundleReadError, read_bundle_path
from rollout.domain.demand import DemandError, OrdersError, read_orders_csv
from rollout.domain.kpis import delta_of
from rollout.domain.simulate import simulate
from rollout.domain.validate import validate_files
from rollout.management.kpi_table import render_kpis
from rollout.management.output import (
    add_format_argument,
    command_error,
    refused,
    unusable,
    write_json,
)
from rollout.selectors import VersionNotFound, version_get
from rollout.services.kpis import SimulationRefused, simulation_run


class Command(BaseCommand):
    help = "Simulate a day of orders through a bundle or version and print the KPIs per region."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="bundle directory, single YAML file, or version id")
        parser.add_argument("--orders", help="replay this orders CSV (order_id,zone,sku) "
                                             "instead of generating demand")
        parser.add_argument("--baseline", help="bundle or version to compare against")
        add_format_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        orders_csv = self._orders_bytes(options["orders"])
        after = self._simulate(options["target"], orders_csv)
        before = self._simulate(options["baseline"], orders_csv) if options["baseline"] else None
        if options["format"] == "json":
            payload: dict[str, Any] = dict(after)
            if before is not None:
                payload["baseline"] = before
                payload["delta"] = delta_of(before, after)
            write_json(self, payload)
        else:
            self.stdout.write(render_kpis(after, before))

    def _orders_bytes(self, name: str | None) -> bytes | None:
        if name is None:
            return None
        try:
            return Path(name).read_bytes()
        except OSError as exc:
            raise unusable(f"{name}: {exc.strerror or exc}") from exc

    def _simulate(self, target: str, orders_csv: bytes | None) -> dict[str, Any]:
        """Simulate a path (validated first) or a stored version (cached)."""
        if Path(target).exists():
            try:
                files = read_bundle_path(target)
            except BundleReadError as exc:
                raise command_error(exc) from exc
            report = validate_files(files, max_bytes=settings.RRM_MAX_FILE_BYTES)
            if not report.valid or report.bundle is None:
                for finding in report.findings:
                    if finding.severity == "error":
                        self.stderr.write(finding.as_text())
                raise refused(f"{target}: {report.errors} error(s); fix them before simulating")
            try:
                orders = (read_orders_csv(orders_csv, report.bundle)
                          if orders_csv is not None else None)
            except OrdersError as exc:
                raise refused(f"orders: {exc}") from exc
            try:
                return simulate(report.bundle, orders).as_dict()
            except DemandError as exc:
                raise refused(f"{target}: {exc}") from exc
        try:
            version = version_get(ref=target)
        except VersionNotFound as exc:
            raise unusable(f"{target}: neither a bundle path nor a version ({exc})") from exc
        try:
            return simulation_run(version=version, orders_csv=orders_csv)
        except SimulationRefused as exc:
            raise command_error(exc) from exc
        except OrdersError as exc:
            raise refused(f"orders: {exc}") from exc
        except DemandError as exc:
            raise refused(f"{target}: {exc}") from exc
