"""`manage.py demo`: load the demo network and its versions (idempotent).

The demo is a US network built from real geography by `rollout.demo` (lower-48 ZIP3 zones,
facilities at real metros), in three versions that tell the regionalisation story of DESIGN
section 1: national routing, then Northeast and Mid-Atlantic regionalised, then all eight. Each
version's parent is the one before it. Content addressing makes a second run a no-op: the same
bytes give the same version, which is reported as already present.

So that the dashboard has something to show, the first version (national) goes live in all of
its regions when no activation was ever recorded, through the activation service with an audit
row and a simulated "after" KPI snapshot per region, as a finished rollout would leave them.
Once any activation exists (the demo's own, or anyone's), the live state is left alone.

`--export DIR` also writes each version as a bundle directory (DIR/national, DIR/ne-ma,
DIR/all-eight), for `validate` and `simulate` from the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from rollout.demo import demo_bundles
from rollout.models import Activation, KpiSnapshot, Version
from rollout.selectors import version_bundle
from rollout.services.activations import activation_create
from rollout.services.audit import audit_record
from rollout.services.kpis import kpi_snapshot_record_simulated, simulation_run
from rollout.services.versions import version_create

DEMO_REASON = "demo: the national version goes live everywhere (manage.py demo)"


class Command(BaseCommand):
    help = "Load the demo network's versions (national, NE+MA, all eight); safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--export", metavar="DIR",
                            help="also write each version as a bundle directory under DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        parent: Version | None = None
        first: Version | None = None
        for demo in demo_bundles():
            result = version_create(files=demo.files, message=demo.message, parent=parent)
            version = result.version
            state = "new" if result.created else "already present"
            validity = "valid" if version.valid else f"INVALID, {version.error_count} error(s)"
            self.stdout.write(f"{demo.name}: version {version.id} ({state}; {validity}, "
                              f"{version.warning_count} warning(s); parent "
                              f"{version.parent_id or 'none'})")
            parent = version
            first = first or version
            if options["export"]:
                target = Path(options["export"]) / demo.name
                target.mkdir(parents=True, exist_ok=True)
                for name, raw in demo.files.items():
                    (target / name).write_bytes(raw)
        if first is not None:
            self.stdout.write(go_live(first))


def go_live(version: Version) -> str:
    """Put `version` live in all its regions if nothing was ever activated; says what it did."""
    if Activation.objects.exists():
        return "live: unchanged (activations already recorded)"
    bundle = version_bundle(version=version)
    if bundle is None or not version.valid:
        return f"live: nothing (version {version.id} is not valid)"
    codes = [region.code for region in bundle.regions.regions]
    simulation_run(version=version)  # the slow part, before the transaction (then cached)
    with transaction.atomic():
        if Activation.objects.exists():  # another run got here first
            return "live: unchanged (activations already recorded)"
        activation_create(regions=codes, version=version, kind=Activation.Kind.ACTIVATE, actor=None,
                          reason=DEMO_REASON)
        for code in codes:
            kpi_snapshot_record_simulated(version=version, region=code,
                                          kind=KpiSnapshot.Kind.AFTER)
        audit_record(actor=None, action="demo.went_live", object_type="version",
                     object_id=version.id, reason=DEMO_REASON, details={"regions": codes})
    return f"live: version {version.id} in {', '.join(codes)} (KPI snapshots recorded)"
