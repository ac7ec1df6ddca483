"""Stored versions' route tables: computed once per version (versions are immutable), kept in
the database for every process and in memory for this one."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.db import IntegrityError, transaction

from rollout.domain.errors import NotFoundError
from rollout.domain.live_table import RouteTable, route_table
from rollout.models import RouteTableRecord, Version
from rollout.selectors import version_bundle

#: Tables kept in memory per process (each about 1-3 MB at national scale).
MEMORY_TABLES = 16

_lock = threading.Lock()
_tables: OrderedDict[str, RouteTable] = OrderedDict()


class NoRouteTable(NotFoundError):
    """The version's files do not pass the schema: it has no routes (and was never live)."""


def version_route_table(*, version_id: str) -> RouteTable:
    """The version's route table: from memory, else the database, else built and stored."""
    with _lock:
        table = _tables.get(version_id)
        if table is not None:
            _tables.move_to_end(version_id)
            return table
    record = RouteTableRecord.objects.filter(version_id=version_id).only("data").first()
    if record is not None:
        table = RouteTable.unpack(bytes(record.data))
    else:
        table = _build_and_store(version_id)
    with _lock:
        _tables[version_id] = table
        while len(_tables) > MEMORY_TABLES:
            _tables.popitem(last=False)
    return table


def _build_and_store(version_id: str) -> RouteTable:
    version = Version.objects.get(id=version_id)
    bundle = version_bundle(version=version)
    if bundle is None:
        raise NoRouteTable(f"version {version_id} has no valid bundle")
    started = time.perf_counter()
    table = route_table(bundle)
    built_ms = (time.perf_counter() - started) * 1000
    try:
        with transaction.atomic():  # a savepoint: another process may have stored it first
            RouteTableRecord.objects.create(version_id=version_id, data=table.pack(),
                                            built_ms=built_ms)
    except IntegrityError:
        pass  # the same content, stored by another process
    return table


def route_table_claims(*, version_id: str, region: str) -> set[str]:
    """The zone ids `region` claims in the version (its selectors expanded)."""
    table = version_route_table(version_id=version_id)
    positions = table.claims.get(region)
    if positions is None:
        return set()
    ids = table.zone_ids
    return {ids[p] for p in positions.tolist()}


def route_tables_forget() -> None:
    """Drop this process's tables (tests whose databases are rolled back)."""
    with _lock:
        _tables.clear()
