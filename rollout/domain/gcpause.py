"""Pausing Python's cyclic garbage collector around bulk object building.

Parsing a 4 MB bundle or a million-row CSV creates hundreds of thousands of small objects that
all stay alive: the collector would scan them again and again for nothing (a quarter to a half
of the time, measured).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
