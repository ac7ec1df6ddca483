"""What the benchmark scripts share: starting under the project's interpreter, Django set up in
the script's own process, the working directory for throwaway databases and logs, and the
report block every section ends with (the subprocess table, the verdicts, the JSON file).

A script run as `python bench/NAME.py` first puts the repository root on `sys.path` (two
lines it cannot import from here), then calls `project_interpreter(__file__)`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.commands import CommandResult
    from bench.report import Verdict

# Only the standard library at import time: `project_interpreter` must run under a bare
# interpreter that has none of the project's dependencies (numpy, Django).
REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"


def project_interpreter(script: str) -> None:
    """Return when the project and its dependencies import; under a bare interpreter, run
    `script` again with the project's `.venv` Python (same arguments); otherwise exit saying
    how to install it."""
    try:
        # Probing only. `rollout` alone would import from the repository root on sys.path
        # under any interpreter: a dependency says whether the project is installed here.
        import django  # noqa: F401

        import rollout  # noqa: F401
    except ImportError:
        venv = REPO / ".venv" / "bin" / "python"
        if sys.prefix == sys.base_prefix and venv.exists():
            os.execv(venv, [str(venv), script, *sys.argv[1:]])
        raise SystemExit("cannot import rollout: run `.venv/bin/pip install -e '.[dev]'`") \
            from None


def django_setup(**environ: str) -> None:
    """Set Django up in this process after setting `environ` (DATABASE_URL, RRM_VAR_DIR, ...);
    the project's settings module unless one is set already."""
    os.environ.update(environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regions_config.settings")
    import django

    django.setup()


@contextmanager
def workdir(keep: Path | None, *, prefix: str) -> Iterator[Path]:
    """Where subprocess logs and throwaway databases go: `keep` (created, kept), else a
    temporary directory removed afterwards."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def print_command_results(title: str, results: Mapping[str, CommandResult], *,
                          notes: bool = False) -> None:
    """The table of timed subprocesses: median wall time and peak RSS, or why one did not run
    (with `notes`, a finished command's note too)."""
    from bench import report

    report.section(title)
    for name, result in results.items():
        if not result.wall_s:
            first, _, rest = result.note.partition("\n")
            report.row(name, "-", first)
            if rest:
                print("    " + rest.replace("\n", "\n    "))
            continue
        runs = ", ".join(f"{t:.2f}" for t in result.wall_s)
        report.row(f"{name} wall (median)", report.seconds(result.median_s), f"runs: {runs} s")
        report.row(f"{name} peak RSS", f"{result.peak_rss_mb:,.0f} MB")
        if notes and result.note:
            print("  " + result.note.replace("\n", "\n    "))


def section_finish(items: list[Verdict], *, what: str, stem: str, quick: bool,
                   header: Mapping[str, Any], payload: Mapping[str, Any]) -> Path:
    """End a section of bench/run.py: its verdicts against the budgets, then the header and
    payload written to bench/out/STEM.json (STEM-quick.json for a quick run)."""
    from bench import report

    scale = (f"{what}; quick run: budgets are for the national bundle" if quick
             else f"{what}; national-scale budgets")
    report.print_verdicts(items, scale_note=scale)
    out_file = OUT / (f"{stem}-quick.json" if quick else f"{stem}.json")
    out_file.write_text(json.dumps({**header, **payload}, indent=2) + "\n")
    print(f"\nwrote {out_file.relative_to(REPO)}")
    return out_file
