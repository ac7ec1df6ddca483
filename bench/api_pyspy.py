"""py-spy on the gunicorn workers while wrk drives them, for bench/api_load.py --profile.

py-spy is not a project dependency: `.venv/bin/pip install py-spy` to use this. It samples the
master and its workers (`--subprocesses`, `--nonblocking`: the workers are never paused) and
writes collapsed stacks; `summarise` turns them into the share of busy samples each function is
on the stack for (inclusive) and at the top of (own).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bench.api_servers import REPO

_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def pyspy_path() -> str | None:
    venv = REPO / ".venv" / "bin" / "py-spy"
    return str(venv) if venv.exists() else shutil.which("py-spy")


def record(master_pid: int, seconds: float, out: Path, rate: int = 100) -> subprocess.Popen[bytes]:
    """Start sampling (returns at once); wait on the process for the file to be written."""
    binary = pyspy_path()
    if binary is None:
        raise RuntimeError("py-spy is not installed (.venv/bin/pip install py-spy)")
    argv = [binary, "record", "--pid", str(master_pid), "--subprocesses", "--nonblocking",
            "--duration", f"{max(1, round(seconds))}", "--rate", str(rate), "--format", "raw",
            "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", str(REPO) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['name']} ({path})"


def summarise(collapsed: Path, top: int = 30) -> dict[str, Any]:
    """{"samples", "inclusive": [(frame, share)], "own": [(frame, share)]}, busy samples only."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")
                  if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return {"samples": 0, "inclusive": [], "own": []}
    return {"samples": total,
            "inclusive": [(f, n / total) for f, n in inclusive.most_common(top)],
            "own": [(f, n / total) for f, n in own.most_common(top)]}


#: where a sampled request spends its time: (label, substrings of a frame). A sample goes to the
#: first category, in this order, with a matching frame anywhere on its stack, so the shares are
#: disjoint and sum to 1 (inner layers are listed before the layers that call them).
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("the view (route(): lookup, json.dumps)", ("route (rollout/api/live.py",
                                                "route (bench/api_bare_app.py")),
    ("token check (BearerToken.authenticate)", ("BearerToken.authenticate",)),
    ("django-ninja around the view (auth, params)", ("ninja/",)),
    ("URL resolving", ("resolve (django/urls/",)),
    ("middleware and Django's handler chain", ("Middleware.", "middleware.py",
                                               "get_response (django/core/handlers/base.py")),
    ("Django request/response objects (WSGI)", ("WSGIHandler.__call__",)),
    ("response.close(): request_finished signal", ("HttpResponseBase.close",)),
    ("gunicorn: writing the response (send)", ("Response.write (gunicorn",)),
    ("gunicorn: lingering close (close_graceful)", ("close_graceful",)),
    ("gunicorn: the rest (accept, parse, headers)", ("",)),
]


def categorise(collapsed: Path) -> dict[str, float]:
    """The share of busy samples per CATEGORIES label (disjoint, summing to 1)."""
    hits: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        for label, needles in CATEGORIES:
            if any(needle in frame for frame in frames for needle in needles):
                hits[label] += count
                break
    return {label: hits[label] / total if total else 0.0 for label, _ in CATEGORIES}
