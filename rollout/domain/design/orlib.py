"""The OR-Library p-median format (Beasley 1985): a graph whose shortest paths are the costs.

First line `n m p`; then `m` lines `i j cost`, an undirected edge between vertices 1..n; when
an edge is listed twice the later line counts. Every vertex has demand 1 and is a candidate
site, so the problem's costs are the n × n shortest-path distances. Files may be gzipped.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components, shortest_path

from rollout.domain.design.problem import FloatArray, Problem


class OrlibFormatError(ValueError):
    """A file that is not a usable OR-Library p-median instance; the message says file:line."""


@dataclass(frozen=True)
class OrlibInstance:
    """n vertices, the edges as last listed ((i, j) 0-based with i < j -> cost), and p."""

    n: int
    p: int
    edges: dict[tuple[int, int], float]

    def distances(self) -> FloatArray:
        """The n × n shortest-path distances (Dijkstra over the undirected graph)."""
        rows = np.fromiter((i for i, _ in self.edges), dtype=np.intp, count=len(self.edges))
        cols = np.fromiter((j for _, j in self.edges), dtype=np.intp, count=len(self.edges))
        costs = np.fromiter(self.edges.values(), dtype=np.float64, count=len(self.edges))
        graph = coo_array((costs, (rows, cols)), shape=(self.n, self.n)).tocsr()
        return np.asarray(shortest_path(graph, method="D", directed=False), dtype=np.float64)

    def problem(self) -> Problem:
        """The p-median problem: every vertex a client of weight 1 and a candidate site."""
        return Problem(costs=self.distances(), p=self.p)


def orlib_parse(text: str, *, name: str = "<text>") -> OrlibInstance:
    """Parse an instance; `OrlibFormatError` ("name:line: what") for anything malformed."""
    lines = text.splitlines()
    header_at = next((k for k, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise OrlibFormatError(f"{name}:1: empty file; expected a first line 'n m p'")
    n, m, p = _integers(lines[header_at], name=name, number=header_at + 1, what="n m p")
    if n < 1:
        raise OrlibFormatError(f"{name}:{header_at + 1}: n must be at least 1, got {n}")
    if m < 0:
        raise OrlibFormatError(f"{name}:{header_at + 1}: m must not be negative, got {m}")
    if not 1 <= p <= n:
        raise OrlibFormatError(f"{name}:{header_at + 1}: p must be between 1 and n ({n}), "
                               f"got {p}")
    edges: dict[tuple[int, int], float] = {}
    seen = 0
    for number, line in enumerate(lines[header_at + 1:], start=header_at + 2):
        if not line.strip():
            continue
        if seen == m:
            raise OrlibFormatError(f"{name}:{number}: more edge lines than m = {m}")
        i, j, cost = _integers(line, name=name, number=number, what="i j cost")
        for vertex in (i, j):
            if not 1 <= vertex <= n:
                raise OrlibFormatError(f"{name}:{number}: vertex {vertex} is not in 1..{n}")
        if cost < 0:
            raise OrlibFormatError(f"{name}:{number}: cost must not be negative, got {cost}")
        seen += 1
        if i != j:  # a loop shortens no path
            key = (min(i, j) - 1, max(i, j) - 1)
            edges.pop(key, None)  # the later line counts (and keeps its place in the order)
            edges[key] = float(cost)
    if seen < m:
        raise OrlibFormatError(f"{name}:{len(lines) + 1}: {seen} edge lines, the first line "
                               f"says m = {m}")
    instance = OrlibInstance(n=n, p=p, edges=edges)
    _check_connected(instance, name=name)
    return instance


def orlib_read(path: str | Path) -> OrlibInstance:
    """Read an instance from a file (plain or .gz); unreadable files are `OrlibFormatError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("ascii")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OrlibFormatError(f"{path}: cannot read: {reason}") from exc
    return orlib_parse(text, name=str(path))


def _integers(text: str, *, name: str, number: int, what: str) -> tuple[int, int, int]:
    fields = text.split()
    if len(fields) != 3:
        raise OrlibFormatError(f"{name}:{number}: expected three integers '{what}', got "
                               f"{text.strip()!r}")
    try:
        first, second, third = (int(field) for field in fields)
    except ValueError:
        raise OrlibFormatError(f"{name}:{number}: expected three integers '{what}', got "
                               f"{text.strip()!r}") from None
    return first, second, third


def _check_connected(instance: OrlibInstance, *, name: str) -> None:
    """Every vertex must reach every other: a p-median cost cannot be infinite."""
    if instance.n == 1:
        return
    rows = [i for i, _ in instance.edges]
    cols = [j for _, j in instance.edges]
    graph = coo_array((np.ones(len(rows)), (rows, cols)), shape=(instance.n, instance.n))
    count, labels = connected_components(graph, directed=False)
    if count > 1:
        stranded = int(np.flatnonzero(labels != labels[0])[0]) + 1
        raise OrlibFormatError(f"{name}: the graph is not connected: vertex {stranded} cannot "
                               f"reach vertex 1 ({count} components)")
