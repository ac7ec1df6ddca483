"""validate, import_config, export_config, diff: outputs and exit statuses (DESIGN section 9)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rollout.models import Version
from tests.factories import EAST_COAST, east_coast_files


def run(*args: str) -> tuple[int, str, str]:
    """Run a command the way the CLI does: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def write_bundle(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, raw in files.items():
        (directory / name).write_bytes(raw)
    return directory


def test_validate__valid_bundle__exit_0_and_summary() -> None:
    status, out, _ = run("validate", str(EAST_COAST))

    assert status == 0
    assert out.strip().splitlines()[-1] == "valid: 0 errors, 0 warnings"


def test_validate__errors__exit_1_and_one_line_per_finding(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", east_coast_files(
        network=("station: DS-ATL2", "station: DS-NOPE")))

    status, out, _ = run("validate", str(bundle))

    lines = out.strip().splitlines()
    assert status == 1
    assert lines[0].startswith("network.yaml:")
    assert ": error E110 " in lines[0]
    file, line, column = lines[0].split(":")[:3]
    assert (file, int(line) > 0, int(column) > 0) == ("network.yaml", True, True)
    assert lines[-1] == "invalid: 1 error, 0 warnings"


def test_validate__json_format__has_the_contract_shape(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", east_coast_files(
        regions=("sla_hours: 48", "sla_hours: 1")))

    status, out, _ = run("validate", str(bundle), "--format", "json")

    payload = json.loads(out)
    assert status == 0  # warnings only
    assert set(payload) == {"valid", "errors", "warnings", "findings"}
    assert payload["valid"] is True and payload["errors"] == 0 and payload["warnings"] >= 1
    assert set(payload["findings"][0]) == {"code", "severity", "message", "file", "line",
                                           "column", "hint"}
    assert payload["findings"][0]["code"] == "W170"


def test_validate__single_file_bundle__positions_in_that_file(tmp_path: Path) -> None:
    files = east_coast_files()
    indent = lambda raw: "".join(f"  {line}\n" for line in raw.decode().splitlines())  # noqa: E731
    text = "".join(f"{name}:\n{indent(files[name + '.yaml'])}"
                   for name in ("network", "regions", "routing"))
    single = tmp_path / "bundle.yaml"
    single.write_text(text.replace("station: DS-ATL2", "station: DS-NOPE"))

    status, out, _ = run("validate", str(single))

    assert status == 1
    first = out.splitlines()[0]
    assert first.startswith("bundle.yaml:") and "E110" in first
    line = int(first.split(":")[1])
    assert "DS-NOPE" in single.read_text().splitlines()[line - 1]


@pytest.mark.parametrize("path", ["does/not/exist", "."])
def test_validate__unusable_path__exit_2(path: str, tmp_path: Path) -> None:
    target = path if path != "." else str(tmp_path)  # an empty directory holds no bundle

    status, _, err = run("validate", target)

    assert status == 2
    assert err


@pytest.mark.django_db
def test_import_then_export__round_trip__byte_for_byte(tmp_path: Path) -> None:
    status, out, _ = run("import_config", str(EAST_COAST), "--message", "import")
    version_id = out.strip().splitlines()[-1]
    assert status == 0 and Version.objects.filter(id=version_id).exists()

    status, _, _ = run("export_config", version_id, str(tmp_path / "out"))

    assert status == 0
    for source in EAST_COAST.iterdir():
        assert (tmp_path / "out" / source.name).read_bytes() == source.read_bytes()


@pytest.mark.django_db
def test_import_config__invalid_bundle__stored_and_id_printed_last(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", east_coast_files(
        regions=('zones: ["150-219"]', 'zones: ["150-219", "070"]')))

    status, out, err = run("import_config", str(bundle), "-m", "overlap")

    version = Version.objects.get(id=out.strip().splitlines()[-1])
    assert status == 0
    assert not version.valid
    assert "E121" in err


@pytest.mark.django_db
def test_import_config__unknown_author__exit_2() -> None:
    status, _, _ = run("import_config", str(EAST_COAST), "-m", "x", "--author", "ghost")

    assert status == 2
    assert Version.objects.count() == 0


@pytest.mark.django_db
def test_export_config__unknown_version__exit_2(tmp_path: Path) -> None:
    status, _, err = run("export_config", "abcdef123456", str(tmp_path))

    assert status == 2
    assert "no version" in err


@pytest.mark.django_db
def test_diff__zone_moved__semantic_summary_then_text(tmp_path: Path) -> None:
    _, out_a, _ = run("import_config", str(EAST_COAST), "-m", "a")
    moved = write_bundle(tmp_path / "b", east_coast_files(regions=(
        'zones: ["150-219"]', 'zones: ["150-219", "282"]')).copy() | {
        "regions.yaml": east_coast_files(regions=(
            'zones: ["150-219"]', 'zones: ["150-219", "282"]'))["regions.yaml"].replace(
            b'"270-319"', b'"270-281", "283-319"')})
    _, out_b, _ = run("import_config", str(moved), "-m", "b")
    a, b = out_a.strip().splitlines()[-1], out_b.strip().splitlines()[-1]

    status, out, _ = run("diff", a, b)

    assert status == 0
    assert out.index("282") < out.index("--- a/regions.yaml")
    status, out, _ = run("diff", a[:6], b[:6], "--format", "json")
    payload = json.loads(out)
    assert payload["a"] == a and payload["b"] == b
    assert payload["semantic"] and payload["files"]


@pytest.mark.django_db
def test_demo__run_twice__idempotent() -> None:
    assert run("demo")[0] == 0
    count = Version.objects.count()

    assert run("demo")[0] == 0
    assert Version.objects.count() == count >= 1
