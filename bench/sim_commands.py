"""`manage.py simulate` as subprocesses, and the cached simulation service on a stored version.

Wall time and peak RSS come from bench/spawn.py (see commands.py). `simulate PATH` validates the
bundle and simulates it without touching the database; the service measurement needs a migrated
SQLite database holding the version, so it runs `migrate` and `import_config` first (untimed).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import commands

SERVICE_SCRIPT = Path(__file__).resolve().parent / "sim_service.py"


@dataclass
class ServiceResult:
    """simulation_run on a stored version: first call, cached call (seconds)."""

    ok: bool
    note: str = ""
    figures: dict[str, float | bool | int] | None = None
    peak_rss_mb: float | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def bench_simulate_commands(
    bundle: str, orders_csv: str, work: Path, runs: int
) -> dict[str, commands.CommandResult]:
    py = commands.python()
    env = commands.command_env(work / "var-simulate")
    logs = work / "logs"
    generated = commands.time_command(
        [py, "manage.py", "simulate", bundle, "--format", "json"],
        runs=runs,
        env=env,
        log_dir=logs,
        name="simulate",
    )
    replay = commands.time_command(
        [py, "manage.py", "simulate", bundle, "--orders", orders_csv, "--format", "json"],
        runs=runs,
        env=env,
        log_dir=logs,
        name="simulate-orders",
    )
    return {"simulate": generated, "simulate --orders": replay}


def bench_service(bundle: str, orders_csv: str | None, work: Path) -> ServiceResult:
    """Import the bundle into a fresh database, then time simulation_run there."""
    py = commands.python()
    env = commands.command_env(work / "var-sim-service")
    logs = work / "logs"
    migrated, output = commands.migrate(env, logs)
    if not migrated:
        return ServiceResult(ok=False, note="manage.py migrate failed:\n" + output)
    imported = commands.run_once(
        [py, "manage.py", "import_config", bundle, "--message", "bench simulate"],
        env,
        logs / "sim-import_config.log",
    )
    lines = imported.output.strip().splitlines()
    if imported.returncode != 0 or not lines:
        return ServiceResult(ok=False, note="manage.py import_config failed:\n" + imported.output)
    version_id = lines[-1].strip()  # import_config prints the id alone on its last line
    argv = [py, str(SERVICE_SCRIPT), version_id, *([orders_csv] if orders_csv else [])]
    run = commands.run_once(argv, env, logs / "sim-service.log")
    last = run.output.strip().splitlines()[-1:] or [""]
    try:
        figures = json.loads(last[0]) if run.returncode == 0 else None
    except json.JSONDecodeError:
        figures = None
    if figures is None:
        return ServiceResult(
            ok=False, note=f"sim_service.py exit status {run.returncode}:\n" + run.output[-2000:]
        )
    return ServiceResult(
        ok=True, figures=figures, peak_rss_mb=run.peak_rss_mb, note=f"version {version_id}"
    )
