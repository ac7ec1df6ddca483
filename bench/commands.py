"""Wall time and peak memory of real `manage.py` commands, each in its own process.

Each command is started through bench/spawn.py, which waits for it with `os.wait4` and so gets the
resource usage of exactly that child. `getrusage(RUSAGE_CHILDREN).ru_maxrss` would be the maximum
over every child this process ever had, and starting the command from this (large) process would
make it inherit this process's peak RSS: see spawn.py.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPAWN = Path(__file__).resolve().parent / "spawn.py"
#: What Django prints when a management command does not exist (yet).
_UNKNOWN_COMMAND = "Unknown command"
_TAIL_LINES = 12


@dataclass
class Run:
    returncode: int
    wall_s: float
    peak_rss_mb: float
    output: str


@dataclass
class CommandResult:
    """A command timed `runs` times; `available` is False when Django does not know it."""

    argv: list[str]
    available: bool = True
    ok: bool = True
    note: str = ""
    wall_s: list[float] = field(default_factory=list)
    peak_rss_mb: float | None = None
    last_line: str = ""

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.wall_s) if self.wall_s else None

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "median_s": self.median_s}


def python() -> str:
    """The project's virtualenv interpreter when there is one (what `make` and CI use)."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else os.environ.get("PYTHON", "python3")


def command_env(var_dir: Path) -> dict[str, str]:
    """The environment for a throwaway run: SQLite and a file broker under `var_dir`.

    DATABASE_URL and CELERY_BROKER_URL are dropped so a developer's shell can never point the
    benchmark at a real database or broker.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["RRM_VAR_DIR"] = str(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)  # settings expect it; SQLite will not create it
    return env


def run_once(argv: list[str], env: dict[str, str], log: Path) -> Run:
    """Run `argv` from the repo root, output to `log`; its wall time and its own peak RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    result_file = log.with_suffix(".result.json")
    result_file.unlink(missing_ok=True)
    with log.open("wb") as out:
        subprocess.run(
            [sys.executable, str(SPAWN), str(result_file), *argv],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=True,
        )
    result = json.loads(result_file.read_text())
    return Run(
        result["returncode"],
        result["wall_s"],
        result["peak_rss_kib"] / 1024,
        log.read_text(encoding="utf-8", errors="replace"),
    )


def time_command(
    argv: list[str],
    *,
    runs: int,
    env: dict[str, str],
    log_dir: Path,
    fresh_var: Path | None = None,
    name: str | None = None,
) -> CommandResult:
    """Time `argv` `runs` times. With `fresh_var`, each run starts from a copy of that
    directory (a migrated SQLite database), so an import never finds its own earlier version.
    `name` names the log files (default: the management command's name)."""
    result = CommandResult(argv=argv)
    name = name or (argv[2] if len(argv) > 2 else "command")
    peaks: list[float] = []
    for n in range(runs):
        run_env = env
        if fresh_var is not None:
            var_dir = fresh_var.parent / f"var-{name}-{n + 1}"
            shutil.rmtree(var_dir, ignore_errors=True)
            shutil.copytree(fresh_var, var_dir)
            run_env = {**env, "RRM_VAR_DIR": str(var_dir)}
        run = run_once(argv, run_env, log_dir / f"{name}-{n + 1}.log")
        if _UNKNOWN_COMMAND in run.output and run.returncode != 0:
            result.available, result.ok = False, False
            result.note = f"not available yet (manage.py {name}: unknown command)"
            return result
        if run.returncode != 0:  # a failed run's time measures the failure: leave it out
            result.ok = False
            result.note = f"exit status {run.returncode} (output below)\n" + _tail(run.output)
            break
        result.wall_s.append(run.wall_s)
        peaks.append(run.peak_rss_mb)
        lines = run.output.strip().splitlines()
        result.last_line = lines[-1] if lines else ""
    result.peak_rss_mb = max(peaks) if peaks else None
    return result


def migrate(env: dict[str, str], log_dir: Path) -> tuple[bool, str]:
    """`manage.py migrate` into env's RRM_VAR_DIR (untimed set-up for import_config)."""
    run = run_once([python(), "manage.py", "migrate", "--noinput"], env, log_dir / "migrate.log")
    return run.returncode == 0, _tail(run.output)


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-_TAIL_LINES:])
