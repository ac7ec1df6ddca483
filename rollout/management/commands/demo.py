"""`manage.py demo`: load the demo network and its versions (idempotent).

For now the demo is the East Coast example bundle (examples/east-coast) and a regionalised
variant of it; the national-scale US demo network replaces it later (issue 4). Content
addressing makes a second run a no-op.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from rollout.domain.bundle import read_bundle_path
from rollout.services.versions import version_create

DEMO_BUNDLES = (
    ("examples/east-coast", "Demo: East Coast example network, Northeast and Mid-Atlantic "
                            "regionalised (illustrative, not a real network)"),
)


class Command(BaseCommand):
    help = "Load the demo network and its versions (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        for relative, message in DEMO_BUNDLES:
            files = read_bundle_path(settings.BASE_DIR / relative)
            result = version_create(files=files, message=message)
            state = "loaded" if result.created else "already present"
            self.stdout.write(f"{state}: version {result.version.id} ({relative})")
