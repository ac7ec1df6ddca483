"""The README's tours, run as written against a fresh `make run`, so the README cannot drift.

`scripts/run.py` (what `make run` runs) sets up a new database exactly as a newcomer's first run
does (migrate, collectstatic, ensure_admin, `demo`, which puts the national version live in all
eight regions) and serves it with gunicorn and a Celery worker with its beat. Then every
```console block of the sections in TOUR_SECTIONS runs, in README order, in ONE bash process (so
`$A`, `$V`, `$R` and the tokens carry from block to block), from the repository's root.

How a block is read:
- a line starting with `$ ` is a command; following lines starting with `> ` continue it (as bash
  shows a command typed over several lines); any other line is the output the README shows;
- a command with no output shown must exit 0; a command with output shown must print exactly
  that (stdout and stderr as a terminal interleaves them), its exit status is not checked (the
  README shows refusals too), and in the shown output:
  - `<N>`, `<TIME>` or any `<NAME>` in capitals stands for one run of non-blank characters that
    differs from run to run (ids, times, tokens),
  - a line `...` stands for any number of lines,
  - trailing blanks and log lines at DEBUG/INFO level (`2026-01-01 12:00:00,000 INFO ...`) are
    ignored.

What differs from a newcomer's terminal: `/tmp/` in commands is a fresh temporary folder,
`http://127.0.0.1:8000` is the test server's free port (both written back in what is printed),
`.venv/bin/python` is this interpreter.
On SQLite the database is under a temporary `var/`; when the tests run on PostgreSQL
(DATABASE_URL), the tours get a database of their own next to it, created and dropped here. The
broker is always the embedded file-system one under that `var/`, so no other test's queue is
touched.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TOUR_SECTIONS = ("Tour", "Simulation", "Rollouts", "REST API")
README_URL = "http://127.0.0.1:8000"
START_TIMEOUT = 300.0  # migrate + demo on a loaded machine
TOURS_TIMEOUT = 600.0

PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO) ")
MARK = "@@readme-tour-command-done"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(START_TIMEOUT + TOURS_TIMEOUT + 60)]


@dataclass
class Command:
    section: str
    line: int  # in README.md, 1-based
    text: str
    shown: list[str] = field(default_factory=list)


def tour_commands(markdown: str) -> list[Command]:
    """The commands of the console blocks in TOUR_SECTIONS, with the output shown after each."""
    commands: list[Command] = []
    section = ""
    in_block = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if not in_block and line.startswith("## "):
            section = line[3:].strip()
        elif not in_block and line.strip() == "```console":
            in_block = section in TOUR_SECTIONS
        elif in_block and line.strip() == "```":
            in_block = False
        elif in_block and line.startswith("$ "):
            commands.append(Command(section=section, line=number, text=line[2:]))
        elif in_block and line.startswith("> ") and commands:
            commands[-1].text += "\n" + line[2:]
        elif in_block:
            assert commands, f"README.md:{number}: output before any command"
            commands[-1].shown.append(line)
    return commands


def output_matches(shown: list[str], actual: list[str]) -> bool:
    """Whether `actual` is what `shown` says, with its placeholders and `...` lines."""
    patterns = [None if line.strip() == "..." else _line_pattern(line) for line in shown]

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(patterns):
            return j == len(actual)
        pattern = patterns[i]
        if pattern is None:
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and bool(pattern.match(actual[j])) and match(i + 1, j + 1)

    return match(0, 0)


def _line_pattern(line: str) -> re.Pattern[str]:
    literal = [re.escape(part) for part in PLACEHOLDER.split(line.rstrip())]
    return re.compile(r"\S+".join(literal) + "$")


def terminal_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines() if not LOG_LINE.match(line)]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """None on SQLite (the default under var/); on PostgreSQL a fresh database of its own."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield None
        return
    import psycopg

    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'rrm'}_readme_tours"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Site:
    url: str
    env: dict[str, str]
    log: Path


@pytest.fixture
def make_run(tmp_path: Path, database_url: str | None) -> Iterator[Site]:
    """`make run` on a fresh database, on a free port; stopped (SIGTERM, as Ctrl-C) at the end."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PORT"}}
    env.update(RRM_VAR_DIR=str(tmp_path / "var"), PORT=str(free_port()), PYTHONUNBUFFERED="1",
               DJANGO_SETTINGS_MODULE="regions_config.settings")
    if database_url:
        env["DATABASE_URL"] = database_url
    url = f"http://127.0.0.1:{env['PORT']}"
    log = tmp_path / "make-run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(url):
            assert process.poll() is None, f"make run exited:\n{_tail(log)}"
            assert time.monotonic() < deadline, f"make run not up in time:\n{_tail(log)}"
            time.sleep(1)
        yield Site(url=url, env=env, log=log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def shell_script(commands: list[Command], *, tmp: Path, url: str) -> str:
    """One bash script running every command, each followed by a marker with its exit status."""
    body = ["set -o pipefail", f"cd {ROOT}", "exec 2>&1"]
    for index, command in enumerate(commands):
        text = (command.text.replace("/tmp/", f"{tmp}/").replace(README_URL, url)
                .replace(".venv/bin/python", sys.executable))
        body += [text, f"printf '\\n{MARK} {index} %d\\n' $?"]
    return "\n".join(body) + "\n"


def test_readme_tours__after_a_fresh_make_run__every_command_prints_what_the_readme_shows(
        make_run: Site, tmp_path: Path) -> None:
    # Given the state `make run` leaves, and the tours' commands
    commands = tour_commands(README.read_text())
    assert {c.section for c in commands} == set(TOUR_SECTIONS), "a tour section has no commands"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    script = tmp_path / "tours.sh"
    script.write_text(shell_script(commands, tmp=tmp, url=make_run.url))
    transcript = tmp_path / "tours.out"

    # When they run in order, in one shell
    # On a timeout the commands that finished are judged below, and the next one named.
    with transcript.open("wb") as sink, contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(["bash", str(script)], cwd=ROOT, env=make_run.env,
                       stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                       timeout=TOURS_TIMEOUT, check=False)

    # Then each printed what the README shows (or, where it shows nothing, succeeded)
    done = re.compile(rf"^{MARK} (\d+) (\d+)$")
    outputs: list[tuple[list[str], int]] = []
    current: list[str] = []
    printed = transcript.read_text(errors="replace")
    printed = printed.replace(f"{tmp}/", "/tmp/").replace(make_run.url, README_URL)
    for line in printed.splitlines():
        finished = done.match(line)
        if finished:
            outputs.append((terminal_lines("\n".join(current)), int(finished[2])))
            current = []
        else:
            current.append(line)
    failures = []
    for command, (actual, status) in zip(commands, outputs, strict=False):
        where = f"README.md:{command.line} ({command.section}): $ {command.text}"
        if command.shown and not output_matches(command.shown, actual):
            failures.append(f"{where}\n--- README shows:\n" + "\n".join(command.shown)
                            + "\n--- printed:\n" + "\n".join(actual))
        elif not command.shown and status != 0:
            failures.append(f"{where}\nexit status {status}:\n" + "\n".join(actual))
    if len(outputs) < len(commands):
        stuck = commands[len(outputs)]
        failures.append(f"README.md:{stuck.line}: `{stuck.text}` did not finish within "
                        f"{TOURS_TIMEOUT:.0f} s; it printed:\n" + "\n".join(current))
    assert not failures, ("\n\n".join(failures)
                          + f"\n\n--- make run's log:\n{_tail(make_run.log)}")


def test_output_matches__placeholders_and_ellipsis__match_what_varies() -> None:
    # Given the README's conventions
    shown = ["rollout <N> of version 392fc19b4322: running", "...",
             "NE       392fc19b4322      131 zones  since <TIME> (activate #<N>)"]

    # When / Then
    assert output_matches(shown, ["rollout 12 of version 392fc19b4322: running",
                                  "CE ...", "GL ...",
                                  "NE       392fc19b4322      131 zones  since "
                                  "2026-12-04T18:01:36+00:00 (activate #9)"])
    assert output_matches(shown, ["rollout 1 of version 392fc19b4322: running",
                                  "NE       392fc19b4322      131 zones  since T (activate #9)"])
    assert not output_matches(shown, ["rollout 1 of version 0ab7960fdaba: running",
                                      "NE       392fc19b4322      131 zones  since T "
                                      "(activate #9)"])
    assert not output_matches(["<N>"], ["two words"])


def test_tour_commands__continuation_and_output_lines__one_command_with_its_output() -> None:
    # Given
    markdown = "\n".join(["## Rollouts", "```console", "$ echo a \\", "> b", "a b",
                          "$ true", "```", "## Production", "```console", "$ rm -rf /", "```"])

    # When
    commands = tour_commands(markdown)

    # Then only the tour section's commands, continuation joined, output attached
    assert [(c.text, c.shown) for c in commands] == [("echo a \\\nb", ["a b"]), ("true", [])]
