"""One changed thing each: a field, an item, a region move or rename, a zone's route.

`show` and `show_path` are how values appear in text, here and in the `diff` report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

Json = object


@dataclass(frozen=True)
class FieldChange:
    """One field of one thing, before and after (JSON values: numbers, strings, lists, None)."""

    field: str
    old: Json
    new: Json

    def as_dict(self) -> dict[str, Json]:
        return {"field": self.field, "old": self.old, "new": self.new}

    def as_text(self) -> str:
        return f"{self.field} {show(self.old)} -> {show(self.new)}"


@dataclass(frozen=True)
class ItemChange:
    """A zone, facility or lane (by its key) whose fields changed."""

    key: str
    changes: tuple[FieldChange, ...]

    def as_dict(self) -> dict[str, Json]:
        return {"id": self.key, "changes": [c.as_dict() for c in self.changes]}

    def as_text(self) -> str:
        return f"{self.key}: " + "; ".join(c.as_text() for c in self.changes)


@dataclass(frozen=True)
class RegionMove:
    """A zone or facility whose region changed (None: no region claims it on that side)."""

    id: str
    old_region: str | None
    new_region: str | None

    def as_dict(self) -> dict[str, Json]:
        return {"id": self.id, "old_region": self.old_region, "new_region": self.new_region}


@dataclass(frozen=True)
class RegionRename:
    """A region kept its code but changed its name."""

    code: str
    old_name: str
    new_name: str

    def as_dict(self) -> dict[str, Json]:
        return {"code": self.code, "old_name": self.old_name, "new_name": self.new_name}


@dataclass(frozen=True)
class RouteChange:
    """A zone whose resolved candidates or first candidate's path changed."""

    zone: str
    old_fcs: tuple[str, ...]
    new_fcs: tuple[str, ...]
    old_path: tuple[str, ...]
    new_path: tuple[str, ...]

    @property
    def old_first(self) -> str | None:
        return self.old_fcs[0] if self.old_fcs else None

    @property
    def new_first(self) -> str | None:
        return self.new_fcs[0] if self.new_fcs else None

    def as_dict(self) -> dict[str, Json]:
        return {"zone": self.zone, "old_fcs": list(self.old_fcs), "new_fcs": list(self.new_fcs),
                "old_path": list(self.old_path), "new_path": list(self.new_path)}

    def as_text(self) -> str:
        parts = []
        if self.old_fcs != self.new_fcs:
            parts.append(f"fcs {show(list(self.old_fcs))} -> {show(list(self.new_fcs))}")
        if self.old_path != self.new_path:
            parts.append(f"path {show_path(self.old_path)} -> {show_path(self.new_path)}")
        return f"{self.zone}: " + "; ".join(parts)


class RouteChanges(Sequence[RouteChange]):
    """The changed routes as a read-only sequence of `RouteChange`, built on access.

    A national routing change touches every zone; materialising 40,000 candidate lists that
    nobody reads would cost more than the whole comparison, so rows stay arrays until asked for.
    """

    def __init__(self, zones: Sequence[str], names: Sequence[str], old_fcs: np.ndarray,
                 new_fcs: np.ndarray, old_paths: Sequence[tuple[str, ...]],
                 new_paths: Sequence[tuple[str, ...]]) -> None:
        self.zones = list(zones)
        # The appended None is what the -1 padding indexes.
        self._names = np.array([*names, None], dtype=object)
        self._old_fcs, self._new_fcs = old_fcs, new_fcs
        self._old_paths, self._new_paths = list(old_paths), list(new_paths)

    @classmethod
    def of(cls, changes: Iterable[RouteChange]) -> RouteChanges:
        """From ready-made changes (tests, and callers that build their own)."""
        items = list(changes)
        names = sorted({f for c in items for f in (*c.old_fcs, *c.new_fcs)})
        index = {name: i for i, name in enumerate(names)}
        width = max((max(len(c.old_fcs), len(c.new_fcs)) for c in items), default=0)

        def matrix(rows: list[tuple[str, ...]]) -> np.ndarray:
            out = np.full((len(rows), width), -1, dtype=np.int32)
            for i, row in enumerate(rows):
                out[i, : len(row)] = [index[f] for f in row]
            return out

        return cls([c.zone for c in items], names, matrix([c.old_fcs for c in items]),
                   matrix([c.new_fcs for c in items]), [c.old_path for c in items],
                   [c.new_path for c in items])

    def __len__(self) -> int:
        return len(self.zones)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence: unhashable, like list

    @overload
    def __getitem__(self, index: int) -> RouteChange: ...

    @overload
    def __getitem__(self, index: slice) -> list[RouteChange]: ...

    def __getitem__(self, index: int | slice) -> RouteChange | list[RouteChange]:
        if isinstance(index, slice):
            return [self._change(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._change(index)

    def _change(self, i: int) -> RouteChange:
        return RouteChange(self.zones[i], self._ids(self._old_fcs[i]), self._ids(self._new_fcs[i]),
                           self._old_paths[i], self._new_paths[i])

    def _ids(self, row: np.ndarray) -> tuple[str, ...]:
        return tuple(self._names[row[row >= 0]].tolist())

    def first_pairs(self) -> list[tuple[str | None, str | None, str]]:
        """(old first candidate, new first candidate, zone) per change, without building them."""
        return list(zip(self._firsts(self._old_fcs), self._firsts(self._new_fcs), self.zones,
                        strict=True))

    def _firsts(self, matrix: np.ndarray) -> list[str | None]:
        column = matrix[:, 0] if matrix.shape[1] else np.full(len(matrix), -1)
        return list(self._names[column].tolist())


def show(value: Json) -> str:
    """A value as the text report writes it: "(none)" for None, lists in brackets."""
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def show_path(path: tuple[str, ...]) -> str:
    """A route path as "A > B > C", "(none)" when empty."""
    return " > ".join(path) if path else "(none)"
