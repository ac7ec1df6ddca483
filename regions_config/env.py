"""The one reader of environment variables for the settings (STYLE.md rule 7)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(ValueError):
    """An environment variable holds a value the settings cannot use."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EnvError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise EnvError(f"{name}={raw!r}: expected a whole number") from exc


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise EnvError(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw) if raw else default


def local_folders(*, database: Mapping[str, object], broker_options: Mapping[str, object],
                  beat_schedule: str) -> list[Path]:
    """The folders the embedded defaults write into: the SQLite file's folder, the file-system
    broker's folders and the beat schedule's folder. PostgreSQL and a server broker need none
    of theirs."""
    folders = [Path(beat_schedule).parent]
    name = str(database.get("NAME") or "")
    if database.get("ENGINE") == "django.db.backends.sqlite3" and name and ":memory:" not in name:
        folders.append(Path(name).parent)
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        folder = broker_options.get(key)
        if folder:
            folders.append(Path(str(folder)))
    return folders


def make_folders(folders: list[Path]) -> None:
    """Create each folder (and its parents) if missing.

    Called once from the settings, which every entry point loads (manage.py, `celery -A
    regions_config`, gunicorn, pytest), so a fresh clone works without `make run` first.
    """
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EnvError(
                f"cannot create the folder {folder} ({exc.strerror}): make it writable, or set "
                "RRM_VAR_DIR (or DATABASE_URL / CELERY_BROKER_URL) to somewhere that is"
            ) from exc


def database_from_url(url: str, **options: Any) -> dict[str, Any]:
    """Django's DATABASES entry for `url` (DATABASE_URL); an unusable URL is an `EnvError`
    naming the variable, not the parser's own error."""
    import dj_database_url

    try:
        return dict(dj_database_url.parse(url, **options))
    except (ValueError, dj_database_url.UnknownSchemeError) as exc:
        shown = url.split("@", 1)[-1] if "@" in url else url  # never print a password
        raise EnvError(f"DATABASE_URL ({shown}): {exc}") from exc


def settings_or_exit(program: str) -> None:
    """Load the settings now; when an environment variable holds a value they cannot use, say
    which and why on one line of stderr and exit 2, rather than a traceback. Every entry point
    calls it first: manage.py, the Celery app, the WSGI app and `make run`."""
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018  (reading a setting loads them all)
    except EnvError as exc:
        sys.stderr.write(f"{program}: configuration error: {exc}\n")
        raise SystemExit(2) from None
