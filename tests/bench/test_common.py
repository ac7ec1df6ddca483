"""The benchmark scripts' shared helpers (bench/common.py; no timings here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.commands import CommandResult
from bench.common import REPO, print_command_results, workdir


def test_workdir__no_keep__a_temporary_directory_removed_after(tmp_path: Path) -> None:
    with workdir(None, prefix="rrm-test-") as work:
        assert work.is_dir() and work.name.startswith("rrm-test-")
        (work / "log").write_text("x")
    assert not work.exists()


def test_workdir__keep__created_and_kept(tmp_path: Path) -> None:
    kept = tmp_path / "keep" / "here"
    with workdir(kept, prefix="rrm-test-") as work:
        assert work == kept.resolve()
    assert kept.is_dir()


def test_print_command_results__ran_and_not_ran__median_rss_or_why(
        capsys: pytest.CaptureFixture[str]) -> None:
    results = {
        "validate": CommandResult(argv=["validate"], wall_s=[1.0, 3.0, 2.0], peak_rss_mb=120.4,
                                  note="a note"),
        "import_config": CommandResult(argv=["import_config"], ok=False,
                                       note="manage.py migrate failed:\nno such table"),
    }

    print_command_results("commands", results, notes=True)

    out = capsys.readouterr().out
    assert "validate wall (median)" in out and "runs: 1.00, 3.00, 2.00 s" in out
    assert "120 MB" in out and "a note" in out
    assert "manage.py migrate failed:" in out and "    no such table" in out


@pytest.mark.parametrize("script", ["run.py", "api_load.py", "rollback.py", "pages.py",
                                    "plan_check.py", "route_lookup.py", "route_freshness.py"])
def test_bench_script__help__parses_after_the_shared_bootstrap(script: str) -> None:
    done = subprocess.run([sys.executable, str(REPO / "bench" / script), "--help"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
