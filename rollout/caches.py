"""The process's caches of immutable things (parsed bundles, highlighted listings, diffs), bounded
by bytes: together they hold at most RRM_CACHE_MB (default 256) MiB, least recently used
dropped first.

A count bound (lru_cache(maxsize=16)) holds sixteen demo bundles or sixteen 100,000-zone ones
alike (1.9 GB measured in one worker). Here each entry says what it weighs and every cache shares
one budget; an entry larger than the whole budget is computed and returned but not kept. Keys
are small (ids, names), never whole file texts.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any, Generic, TypeVar

from django.conf import settings

R = TypeVar("R")

DEFAULT_MB = 256


@dataclass
class CacheInfo:
    hits: int
    misses: int
    entries: int
    bytes: int
    budget: int


class _Pool:
    """One LRU over every bounded cache's entries: (cache name, key) -> (value, bytes)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple[str, Hashable], tuple[Any, int]] = OrderedDict()
        self.total = 0
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}

    def get(self, name: str, key: Hashable) -> tuple[bool, Any]:
        with self.lock:
            entry = self.entries.get((name, key))
            if entry is None:
                self.misses[name] = self.misses.get(name, 0) + 1
                return False, None
            self.entries.move_to_end((name, key))
            self.hits[name] = self.hits.get(name, 0) + 1
            return True, entry[0]

    def put(self, name: str, key: Hashable, value: Any, size: int) -> None:
        limit = budget_bytes()
        with self.lock:
            old = self.entries.pop((name, key), None)
            if old is not None:
                self.total -= old[1]
            if size > limit:
                return  # larger than the whole budget: the caller has it, nobody keeps it
            self.entries[(name, key)] = (value, size)
            self.total += size
            while self.total > limit:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.total -= dropped

    def clear(self, name: str | None = None) -> None:
        with self.lock:
            for full_key in [k for k in self.entries if name is None or k[0] == name]:
                self.total -= self.entries.pop(full_key)[1]

    def info(self, name: str | None = None) -> CacheInfo:
        with self.lock:
            mine = [size for (owner, _), (_, size) in self.entries.items()
                    if name is None or owner == name]
            hits = sum(v for k, v in self.hits.items() if name is None or k == name)
            misses = sum(v for k, v in self.misses.items() if name is None or k == name)
        return CacheInfo(hits, misses, len(mine), sum(mine), budget_bytes())


_pool = _Pool()


def budget_bytes() -> int:
    """The byte budget of all bounded caches together (RRM_CACHE_MB)."""
    return int(getattr(settings, "RRM_CACHE_MB", DEFAULT_MB)) * 1024 * 1024


def cache_info() -> CacheInfo:
    """Hits, misses, entries and bytes of every bounded cache together."""
    return _pool.info()


def cache_clear() -> None:
    _pool.clear()


class BoundedCache(Generic[R]):
    """`func` memoised in the shared pool: `key(*args)` names an entry (default: the
    arguments), `size_of(value, *args)` says what it weighs in bytes."""

    def __init__(self, func: Callable[..., R], size_of: Callable[..., int],
                 key: Callable[..., Hashable] | None) -> None:
        self.func, self.size_of, self.key = func, size_of, key
        self.name = f"{func.__module__}.{func.__qualname__}"
        wraps(func)(self)

    def __call__(self, *args: Hashable) -> R:
        key = self.key(*args) if self.key is not None else args
        found, value = _pool.get(self.name, key)
        if found:
            return value  # stored by this cache: an R
        made = self.func(*args)
        _pool.put(self.name, key, made, self.size_of(made, *args))
        return made

    def cache_clear(self) -> None:
        _pool.clear(self.name)

    def cache_info(self) -> CacheInfo:
        return _pool.info(self.name)


def bounded_cache(*, size_of: Callable[..., int], key: Callable[..., Hashable] | None = None
                  ) -> Callable[[Callable[..., R]], BoundedCache[R]]:
    """Decorator: memoise a function of immutable inputs within the shared byte budget."""

    def decorate(func: Callable[..., R]) -> BoundedCache[R]:
        return BoundedCache(func, size_of, key)

    return decorate


_SKIP = (type, ModuleType, FunctionType, BuiltinFunctionType)


def deep_size(value: object) -> int:
    """Bytes held by `value` and everything it references (each object once; classes,
    modules and functions not counted): what dropping it would give back, roughly."""
    seen: set[int] = set()
    total = 0
    todo = [value]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, _SKIP):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        todo.extend(gc.get_referents(obj))
    return total
