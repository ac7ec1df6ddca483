"""The OR-Library p-median reader: shortest-path costs, the later duplicate edge, clear errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from rollout.domain.design.orlib import OrlibFormatError, orlib_parse, orlib_read

ORLIB = Path(__file__).resolve().parents[1] / "data" / "orlib"


def test_orlib_parse__path_graph__costs_are_shortest_paths() -> None:
    # Given a path 1 - 2 - 3 and a costly direct edge 1 - 3
    text = "3 3 1\n1 2 4\n2 3 5\n1 3 20\n"

    # When
    instance = orlib_parse(text)

    # Then: 1 -> 3 goes through 2; the matrix is symmetric with a zero diagonal
    distances = instance.distances()
    assert (instance.n, instance.p) == (3, 1)
    assert distances.tolist() == [[0, 4, 9], [4, 0, 5], [9, 5, 0]]


def test_orlib_parse__edge_listed_twice__the_later_line_counts() -> None:
    # Given the edge 1 - 2 listed as 10, then (reversed) as 3, and 2 - 3 as 1 then 50
    text = "3 4 1\n1 2 10\n2 1 3\n2 3 1\n3 2 50\n"

    # When
    distances = orlib_parse(text).distances()

    # Then: the later costs win, even when they are higher
    assert distances[0, 1] == 3
    assert distances[1, 2] == 50
    assert distances[0, 2] == 53


def test_orlib_parse__problem__every_vertex_a_client_and_a_site_of_weight_one() -> None:
    problem = orlib_parse("2 1 1\n1 2 7\n").problem()

    assert problem.costs.shape == (2, 2)
    assert problem.weights is None
    assert problem.p == 1


@pytest.mark.parametrize(("text", "message"), [
    ("", "x.txt:1: empty file"),
    ("3 2\n1 2 1\n", "x.txt:1: expected three integers 'n m p'"),
    ("3 2 4\n1 2 1\n2 3 1\n", "x.txt:1: p must be between 1 and n (3), got 4"),
    ("3 2 1\n1 2 1\n2 four 1\n", "x.txt:3: expected three integers 'i j cost'"),
    ("3 2 1\n1 2 1\n2 4 1\n", "x.txt:3: vertex 4 is not in 1..3"),
    ("3 2 1\n1 2 -1\n2 3 1\n", "x.txt:2: cost must not be negative"),
    ("3 2 1\n1 2 1\n", "x.txt:3: 1 edge lines, the first line says m = 2"),
    ("3 1 1\n1 2 1\n2 3 1\n", "x.txt:3: more edge lines than m = 1"),
    ("4 2 1\n1 2 1\n3 4 1\n", "x.txt: the graph is not connected: vertex 3"),
])
def test_orlib_parse__malformed__error_names_file_and_line(text: str, message: str) -> None:
    with pytest.raises(OrlibFormatError) as caught:
        orlib_parse(text, name="x.txt")

    assert str(caught.value).startswith(message)


def test_orlib_read__gzipped_and_plain__same_instance(tmp_path: Path) -> None:
    # Given one instance stored plain and gzipped
    text = "3 2 2\n1 2 4\n2 3 5\n"
    (tmp_path / "a.txt").write_text(text)
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(text.encode()))

    # When / Then
    plain, packed = orlib_read(tmp_path / "a.txt"), orlib_read(tmp_path / "a.txt.gz")
    assert plain == packed


def test_orlib_read__missing_or_binary_file__format_error(tmp_path: Path) -> None:
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00")

    with pytest.raises(OrlibFormatError, match="cannot read"):
        orlib_read(tmp_path / "nope.txt")
    with pytest.raises(OrlibFormatError, match="cannot read"):
        orlib_read(tmp_path / "binary")


def test_orlib_read__pmed1__beasley_sizes() -> None:
    # Given pmed1 as published (100 vertices, 200 edges, p = 5)
    instance = orlib_read(ORLIB / "pmed1.txt.gz")

    # Then: a connected graph, distances symmetric
    distances = instance.distances()
    assert (instance.n, instance.p, len(instance.edges)) == (100, 5, 198)
    assert np.array_equal(distances, distances.T)
    assert np.isfinite(distances).all()
