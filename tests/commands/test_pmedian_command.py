"""`manage.py pmedian`: the solver's public check on OR-Library files (JSON, text, bad files)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

from rollout.management.output import EXIT_UNUSABLE

ROOT = Path(__file__).resolve().parents[2]
PMED1 = ROOT / "tests" / "data" / "orlib" / "pmed1.txt.gz"


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("pmedian", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_pmedian__pmed1_json__published_optimum_with_its_bound() -> None:
    # When
    status, out, _ = _run(str(PMED1), "--format", "json")

    # Then: the keys of the contract, 1-based medians, the optimum 5819 proven
    payload = json.loads(out)
    assert status == 0
    assert set(payload) == {"objective", "medians", "seconds", "lower_bound"}
    assert payload["objective"] == 5819
    assert payload["lower_bound"] == 5819
    assert len(payload["medians"]) == 5
    assert all(1 <= median <= 100 for median in payload["medians"])
    assert payload["seconds"] >= 0


def test_pmedian__text__objective_bound_and_medians() -> None:
    status, out, _ = _run(str(PMED1))

    lines = out.splitlines()
    assert status == 0
    assert lines[0].startswith("objective 5819 (optimal), p = 5, n = 100")
    assert lines[1] == "lower bound 5819"
    assert lines[2].startswith("medians ")


def test_pmedian__malformed_file__unusable_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("3 2 1\n1 2 1\n2 x 1\n")

    status, out, message = _run(str(bad))

    assert status == EXIT_UNUSABLE
    assert out == ""
    assert message.startswith(f"{bad}:3: expected three integers")


def test_pmedian__missing_file__unusable(tmp_path: Path) -> None:
    status, _, message = _run(str(tmp_path / "nope.txt"))

    assert status == EXIT_UNUSABLE
    assert "cannot read" in message


def test_pmedian__cli_on_a_bad_file__exit_2_and_no_traceback(tmp_path: Path) -> None:
    # Given a file whose header is not 'n m p'
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\n")

    # When run the way a user runs it
    result = subprocess.run([sys.executable, "manage.py", "pmedian", str(bad)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)

    # Then
    assert result.returncode == EXIT_UNUSABLE
    assert "Traceback" not in result.stderr
    assert f"{bad}:1: expected three integers 'n m p'" in result.stderr
