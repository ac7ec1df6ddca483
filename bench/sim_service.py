"""Time `rollout.services.kpis.simulation_run` twice on a stored version: first call, cached call.

    RRM_VAR_DIR=DIR python bench/sim_service.py VERSION_ID [ORDERS.csv]

Run by bench/sim_commands.py in its own process against a throwaway migrated SQLite database
that holds the version (imported with `manage.py import_config`). Prints one JSON line last.
The first call parses the version's stored files, simulates and stores a SimulationRun row; the
second finds that row. With ORDERS.csv, the same again replaying that file.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> int:
    sys.path.insert(0, str(REPO))
    from bench.common import django_setup

    django_setup()
    from rollout.selectors import version_get
    from rollout.services.kpis import simulation_run

    version = version_get(ref=sys.argv[1])
    out: dict[str, Any] = {}
    out["first_s"], first = _timed(lambda: simulation_run(version=version))
    out["cached_s"], cached = _timed(lambda: simulation_run(version=version))
    out["same_result"] = first == cached
    out["orders"] = first["total"]["orders"]
    if len(sys.argv) > 2:
        data = Path(sys.argv[2]).read_bytes()
        out["csv_first_s"], first = _timed(lambda: simulation_run(version=version, orders_csv=data))
        out["csv_cached_s"], cached = _timed(
            lambda: simulation_run(version=version, orders_csv=data)
        )
        out["csv_same_result"] = first == cached
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
