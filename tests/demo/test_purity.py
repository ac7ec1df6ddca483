"""rollout.demo is data building like the domain core: it imports no Django (STYLE rule 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rollout.demo

MODULES = sorted(Path(rollout.demo.__file__).resolve().parent.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_demo_modules__found__the_scan_is_not_vacuous() -> None:
    assert {"geography", "zones", "sites", "lanes", "stock", "bundles"} <= {
        p.stem for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_demo_module__scanned__imports_neither_django_nor_the_django_app(path: Path) -> None:
    offending = [name for name in _imports(path)
                 if name.split(".")[0] == "django"
                 or (name.startswith("rollout.") and not name.startswith(("rollout.demo",
                                                                          "rollout.domain")))]
    assert offending == []
