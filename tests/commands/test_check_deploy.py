"""`manage.py check --deploy` with the production environment the README documents: no warning.

The variables are read from the README's "Production" section, so the document and the
settings cannot drift apart. Each run is a fresh process with only those variables, as a
deployment would start.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def readme_production_environment() -> dict[str, str]:
    """The `export NAME=value` lines of the README's Production section (its first sh block);
    a value computed by the shell (`$(...)`) is computed here the same way: a random key."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    environment = {}
    for line in block.splitlines():
        match = re.match(r"export (\w+)=(\S+)", line)
        if match:
            name, value = match.groups()
            environment[name] = (secrets.token_urlsafe(50) if value.startswith('"$(')
                                 else value)
    return environment


def run(args: list[str], environment: dict[str, str],
        tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run Python in the repository with `environment` and nothing else the tests set."""
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          env={**base, "RRM_VAR_DIR": str(tmp_path / "var"), **environment},
                          timeout=120, check=False)


def test_readme_production_environment__documented__names_the_security_settings() -> None:
    environment = readme_production_environment()

    assert environment["RRM_ENV"] == "production"
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "ALLOWED_HOSTS",
            "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE", "RRM_PROXY_COUNT"} <= set(environment)


@pytest.mark.slow
def test_check_deploy__readme_production_environment__no_warning(tmp_path: Path) -> None:
    # Given only the environment the README documents for production
    environment = readme_production_environment()

    # When the deployment check runs, failing on any warning
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment,
                 tmp_path)

    # Then it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_check_deploy__embedded_defaults__warns_what_production_must_set(
        tmp_path: Path) -> None:
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)

    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W009", "security.W012",
                  "security.W016", "rollout.W001"):
        assert check in result.stderr, check


@pytest.mark.slow
def test_settings__readme_production_environment__read_into_the_security_settings(
        tmp_path: Path) -> None:
    # Given the README's production environment
    environment = readme_production_environment()
    names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
             "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
             "SECURE_PROXY_SSL_HEADER", "RRM_PROXY_COUNT", "RRM_WEBHOOK_ALLOW_PRIVATE"]
    script = ("import django, json; django.setup(); from django.conf import settings as s; "
              f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))")

    # When the settings load
    result = run(["-c", script],
                 {**environment, "DJANGO_SETTINGS_MODULE": "regions_config.settings"}, tmp_path)

    # Then each variable landed where Django looks for it
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"], "RRM_PROXY_COUNT": 1,
        "RRM_WEBHOOK_ALLOW_PRIVATE": False,
    }
