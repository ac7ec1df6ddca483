"""Simulated and observed KPIs: the cached simulation of a version, and KPI snapshots.

The rollout engine calls `kpi_snapshot_record_simulated` before and after every activation;
monitoring (the observer role) and operators post observed values through
`kpi_observation_record`, and gates are judged on `observations_latest`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import IntegrityError, transaction

from rollout.domain.bundle import Bundle
from rollout.domain.demand import demand_settings, generate_orders, read_orders_csv
from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.schema import Demand
from rollout.domain.simulate import COUNT_KPIS, KPI_NAMES, PERCENT_KPIS, simulate
from rollout.domain.text import text_problem
from rollout.models import KpiSnapshot, SimulationRun, Version
from rollout.selectors.regions import known_region_codes
from rollout.selectors.versions import version_bundle
from rollout.services.audit import audit_record
from rollout.services.roles import OBSERVATION_ROLES, Role, role_require_or_process

logger = logging.getLogger(__name__)


class SimulationRefused(RolloutError):
    """The version cannot be simulated (its files do not pass the schema, or it has errors)."""

    kind = ErrorKind.CONFLICT


class KpiValidationError(RolloutError, ValueError):
    """Observed KPI values that are not acceptable; `problems` says which and why."""

    kind = ErrorKind.INVALID

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def simulation_run(
    *, version: Version, demand: Demand | None = None, orders_csv: bytes | None = None
) -> dict[str, Any]:
    """{"total": KPIs, "regions": {CODE: KPIs}} of a version, computed once per demand.

    Generated demand must be within bounds (`rollout.domain.demand.bounded_demand`, raising
    `DemandError`); big simulations belong in a worker (`rollout.services.simulations`).
    """
    bundle = simulation_bundle(version=version)
    key, described = _demand_key(bundle, demand, orders_csv)
    cached = _stored_result(version, key)
    if cached is not None:
        return cached
    started = time.perf_counter()
    if orders_csv is not None:
        orders = read_orders_csv(orders_csv, bundle)
    else:
        orders = generate_orders(bundle, demand=demand)
    result = simulate(bundle, orders).as_dict()
    duration_ms = int((time.perf_counter() - started) * 1000)
    try:
        with transaction.atomic():
            SimulationRun.objects.create(version=version, demand_key=key, demand=described,
                                         result=result, duration_ms=duration_ms)
    except IntegrityError:
        pass  # computed concurrently by another process: same inputs, same result
    logger.info("simulation.computed version_id=%s demand_key=%s duration_ms=%d", version.id,
                key[:12], duration_ms)
    return result


def simulation_cached(*, version: Version, demand: Demand | None = None) -> dict[str, Any] | None:
    """The stored result of `simulation_run(version=version, demand=demand)`, or None when it
    has not been computed yet. Raises `SimulationRefused` as simulation_run does."""
    bundle = simulation_bundle(version=version)
    return _stored_result(version, _demand_key(bundle, demand, None)[0])


def simulation_bundle(*, version: Version) -> Bundle:
    """The version's bundle, or `SimulationRefused` when the version has errors."""
    bundle = version_bundle(version=version)
    if bundle is None or not version.valid:
        raise SimulationRefused(
            f"version {version.id} has {version.error_count} error(s); fix them before "
            "simulating")
    return bundle


def _demand_key(bundle: Bundle, demand: Demand | None,
                orders_csv: bytes | None) -> tuple[str, dict[str, Any]]:
    """The cache key of a simulation's demand, and what it stands for."""
    if orders_csv is not None:
        key = hashlib.sha256(b"csv\x00" + orders_csv).hexdigest()
        return key, {"orders_csv_sha256": key, "bytes": len(orders_csv)}
    described = (demand or demand_settings(bundle)).model_dump()
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest(), described


def _stored_result(version: Version, key: str) -> dict[str, Any] | None:
    result = (SimulationRun.objects.filter(version=version, demand_key=key)
              .values_list("result", flat=True).first())
    return None if result is None else dict(result)


def kpi_snapshot_record_simulated(
    *,
    version: Version,
    region: str,
    kind: str = KpiSnapshot.Kind.POINT,
    actor: AbstractBaseUser | None = None,
) -> KpiSnapshot:
    """Store the region's simulated KPIs under `version` as a snapshot.

    An `actor` must be an operator (who runs rollouts, whose before/after snapshots these are);
    without one the caller is the process itself (the engine, the demo loader)."""
    role_require_or_process(actor=actor, roles=(Role.OPERATOR,))
    result = simulation_run(version=version)
    values = result["regions"].get(region)
    if values is None:
        raise KpiValidationError([f"version {version.id} has no region {region}"])
    return KpiSnapshot.objects.create(
        region=region, version=version, source=KpiSnapshot.Source.SIMULATION, kind=kind,
        values=values, recorded_by=_user(actor),
    )


def kpi_observation_record(
    *,
    region: str,
    values: Mapping[str, Any],
    actor: AbstractBaseUser | None = None,
    observed_at: datetime | None = None,
    source_system: str = "",
    version: Version | None = None,
    idempotency_key: str | None = None,
    token_id: int | None = None,
) -> KpiSnapshot:
    """Store KPI values observed by another system, after checking every one of them, with the
    API token that posted them (`token_id`).

    An `actor` must hold an observation role (`OBSERVATION_ROLES`: observer or operator), since
    gates are judged on these values; without one the caller is the process itself (a command,
    a test), as for `token_create`.
    """
    role_require_or_process(actor=actor, roles=OBSERVATION_ROLES)
    clean = kpi_observation_validate(region=region, values=values, source_system=source_system)
    with transaction.atomic():
        snapshot = KpiSnapshot.objects.create(
            region=region, version=version, source=KpiSnapshot.Source.OBSERVED,
            kind=KpiSnapshot.Kind.POINT, values=clean, recorded_by=_user(actor),
            source_system=source_system[:64], idempotency_key=idempotency_key,
            token_id=token_id,
            **({"taken_at": observed_at} if observed_at is not None else {}),
        )
        audit_record(actor=actor, action="kpi.observed", object_type="region", object_id=region,
                     details={"values": clean, "source_system": source_system,
                              "snapshot_id": snapshot.id, "token_id": token_id})
    return snapshot


@dataclass(frozen=True)
class Observed:
    """A KPI's latest observed value, and the observation it came from."""

    value: float
    snapshot: KpiSnapshot


def observations_latest(region: str, *, since: datetime | None = None,
                        until: datetime | None = None) -> dict[str, Observed]:
    """The latest observed value of each KPI for the region in the time window (observations
    taken from `since` until `until`, both included), each with its observation."""
    rows = KpiSnapshot.objects.filter(region=region, source=KpiSnapshot.Source.OBSERVED,
                                      kind=KpiSnapshot.Kind.POINT)
    if since is not None:
        rows = rows.filter(taken_at__gte=since)
    if until is not None:
        rows = rows.filter(taken_at__lte=until)
    latest: dict[str, Observed] = {}
    for snapshot in rows.order_by("taken_at", "id"):
        latest.update({kpi: Observed(value, snapshot) for kpi, value in snapshot.values.items()})
    return latest


def kpi_observation_validate(*, region: str, values: Mapping[str, Any],
                         source_system: str = "") -> dict[str, float | int]:
    """Known KPI names, finite numbers, in range: percentages 0-100, everything else >= 0 and
    counts whole. Unknown regions, and a source name that cannot be stored, are refused too.
    Raises `KpiValidationError`."""
    problems: list[str] = []
    source_problem = text_problem(source_system, what="source")
    if source_problem:
        problems.append(source_problem)
    if region not in known_region_codes():
        problems.append(f"unknown region {region!r}")
    if not values:
        problems.append("no KPI values given")
    clean: dict[str, float | int] = {}
    for name, value in values.items():
        if name not in KPI_NAMES:
            problems.append(f"unknown KPI {name!r} (known: {', '.join(KPI_NAMES)})")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{name}: {value!r} is not a number")
            continue
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an integer too large for a float
            finite = False
        if not finite:
            problems.append(f"{name}: {value!r} is not a finite number")
            continue
        if value < 0:
            problems.append(f"{name}: {value} is negative")
        elif name in PERCENT_KPIS and value > 100:
            problems.append(f"{name}: {value} is over 100 (it is a percentage)")
        elif name in COUNT_KPIS and value != int(value):
            problems.append(f"{name}: {value} is not a whole number")
        else:
            clean[name] = int(value) if name in COUNT_KPIS else float(value)
    if problems:
        raise KpiValidationError(problems)
    return clean


def _user(actor: AbstractBaseUser | None) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None
