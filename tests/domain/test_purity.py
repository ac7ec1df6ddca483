"""The domain core imports no Django (STYLE rule 1): it runs in a notebook or a CI job alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import rollout.domain

DOMAIN = Path(rollout.domain.__file__).resolve().parent
PROJECT_ROOT = DOMAIN.parents[1]
MODULES = sorted(DOMAIN.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(path: Path) -> list[tuple[int, str]]:
    name = _module_name(path)
    return _imported_names_at(path, package=name if path.name == "__init__.py"
                              else name.rpartition(".")[0])


def _imported_names_at(path: Path, *, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, however deeply nested."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.append((node.lineno, module))
            # `from rollout import models` imports rollout.models
            names.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append((node.lineno, node.args[0].value))
    return names


def test_domain_modules__found__the_scan_is_not_vacuous() -> None:
    # Given / When / Then: the scan sees the core modules
    names = {path.stem for path in MODULES}
    assert {"loader", "schema", "bundle", "findings", "ranges", "validate"} <= names


def test_imported_names__django_imported_in_a_function__found(tmp_path: Path) -> None:
    # Given a module that hides its Django import inside a function, and one via importlib
    module = tmp_path / "sneaky.py"
    module.write_text(
        "import importlib\n"
        "def f():\n"
        "    from django.db import transaction\n"
        "    return importlib.import_module('django.conf')\n",
        encoding="utf-8",
    )

    # When
    names = [name for _, name in _imported_names_at(module, package="rollout.domain")]

    # Then
    assert "django.db" in names
    assert "django.conf" in names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module__scanned__imports_neither_django_nor_the_django_app(path: Path) -> None:
    # Given a module of rollout/domain

    # When its imports are read from the source (including imports inside functions)
    imports = _imported_names(path)

    # Then: no django, and nothing of the rollout app outside rollout.domain
    # (rollout.models, rollout.services, ... all import Django)
    offending = [
        f"{path.name}:{line}: {name}"
        for line, name in imports
        if name == "django" or name.startswith("django.")
        or (name.startswith("rollout") and not name.startswith("rollout.domain")
            and name != "rollout")
    ]
    assert offending == []


def test_domain_package__imported_alone__loads_no_django() -> None:
    # Given a fresh interpreter without Django settings
    modules = [_module_name(path) for path in MODULES]
    program = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )

    # When every domain module is imported (third-party imports included)
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=PROJECT_ROOT,
        env={"PATH": "", "PYTHONPATH": str(PROJECT_ROOT)}, timeout=120, check=False,
    )

    # Then: nothing pulled Django in
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
