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


def freeze_long_lived() -> None:
    """Exempt every object alive now from future cyclic collections.

    Called after a process builds a cache that lives as long as it does (a parsed bundle, the
    composite state): otherwise each full collection walks those hundreds of thousands of
    objects again, a 100-200 ms pause in whichever request happens to trigger it (measured with
    bench/pages.py). Frozen objects are still freed by reference counting when dropped.
    """
    gc.freeze()
