"""Every entry point works on a fresh clone where `make run` never ran (no var/ yet).

Each test runs a real entry point in a subprocess with the embedded defaults (SQLite, the
file-system broker) under a var/ folder that does not exist yet.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from regions_config.env import EnvError, local_folders, make_folders

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def fresh_env(var_dir: Path) -> dict[str, str]:
    """The environment of a newcomer's shell: embedded defaults, var/ somewhere new."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    env["RRM_VAR_DIR"] = str(var_dir)
    env["DJANGO_SETTINGS_MODULE"] = "regions_config.settings"
    return env


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_manage_migrate__no_var_folder__creates_it_and_the_database(tmp_path: Path) -> None:
    # Given a var/ folder that does not exist
    var_dir = tmp_path / "fresh" / "var"

    # When
    result = run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], fresh_env(var_dir))

    # Then the database was created where the settings point, and the broker's folders too
    assert result.returncode == 0, result.stderr
    assert (var_dir / "db.sqlite3").is_file()
    assert (var_dir / "broker" / "processed").is_dir()
    assert (var_dir / "broker" / "control").is_dir()


def test_celery_app__no_var_folder__publishes_to_the_file_system_broker(tmp_path: Path) -> None:
    # Given a var/ folder that does not exist
    var_dir = tmp_path / "var"
    script = ("from regions_config.celery import app\n"
              "app.send_task('rollout.sweep')\n")

    # When the Celery app (what `celery -A regions_config worker --beat` loads) sends a task
    result = run([PYTHON, "-c", script], fresh_env(var_dir))

    # Then the message is a file in the broker's folder, and the beat schedule's folder exists
    assert result.returncode == 0, result.stderr
    assert len([p for p in (var_dir / "broker").iterdir() if p.is_file()]) == 1
    assert var_dir.is_dir()


def test_local_folders__postgres_and_redis__only_the_beat_schedule_folder(tmp_path: Path) -> None:
    # Given production settings: PostgreSQL and a server broker
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "rrm"}

    # When
    folders = local_folders(database=database, broker_options={},
                            beat_schedule=str(tmp_path / "var" / "celerybeat-schedule"))

    # Then
    assert folders == [tmp_path / "var"]


def test_make_folders__not_writable__says_which_folder_and_what_to_set(tmp_path: Path) -> None:
    # Given a path under a regular file, which no one can create
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    # When / Then
    with pytest.raises(EnvError, match=r"cannot create the folder .*a-file/var.*RRM_VAR_DIR"):
        make_folders([blocker / "var"])


# --- a bad environment value: one line saying which, exit 2, at every entry point ----------

ENTRY_POINTS = {
    "manage.py": [PYTHON, "manage.py", "check"],
    "celery": [PYTHON, "-m", "celery", "-A", "regions_config", "worker"],
    "wsgi": [PYTHON, "-c", "import regions_config.wsgi"],
    "make run": [PYTHON, "scripts/run.py"],
}


@pytest.mark.parametrize("program", list(ENTRY_POINTS))
@pytest.mark.parametrize(("variable", "value", "said"), [
    ("RRM_SWEEP_SECONDS", "soon", "RRM_SWEEP_SECONDS='soon': expected a whole number"),
    ("DATABASE_URL", "mysqlish://rrm:s3cret@db/rrm", "DATABASE_URL (db/rrm): Scheme"),
], ids=["int", "database-url"])
def test_entry_point__bad_environment_value__one_line_exit_2_no_traceback(
        tmp_path: Path, program: str, variable: str, value: str, said: str) -> None:
    env = {**fresh_env(tmp_path / "var"), variable: value}

    result = run(ENTRY_POINTS[program], env)

    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{program}: configuration error: {said}")
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    assert not (tmp_path / "var" / "db.sqlite3").exists()
