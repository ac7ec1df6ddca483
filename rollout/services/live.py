"""The published live state: the live network at the latest activation (`rollout.services.
live_network` composes it), its route table cached per process and stored per activation, and
the checks of a change to it (`live_network_errors`), starting from the live state's findings.

Every question of the form "what would the live network be if these regions were on these
versions" is answered by `live_network.live_network_with`; nothing else composes live regions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from rollout.domain.composite import CompositeState
from rollout.domain.composite_checks import (
    CheckedComposite,
    check_composite,
    check_composite_after,
)
from rollout.domain.findings import Finding
from rollout.domain.gcpause import freeze_long_lived
from rollout.domain.live_table import LiveRoutes, LiveTable, RouteTable, route_table
from rollout.models import Activation, AuditEvent, LiveStateRecord, Version
from rollout.services.enqueue import GIT_MIRROR_SYNC, task_send
from rollout.services.live_findings import live_findings_load, live_findings_store
from rollout.services.live_network import (
    LiveBasis,
    latest_activations,
    live_network_with,
    zones_ever_claimed,
)
from rollout.services.route_tables import version_route_table

logger = logging.getLogger(__name__)


class LiveState:
    """The live state at one activation (its cache key): its routes (`table`, loaded from the
    record its writer stored) and, composed only when a page needs it, the full composite."""

    def __init__(self, at_activation: int, table: LiveTable,
                 composite: CompositeState | None = None) -> None:
        self.at_activation = at_activation
        self.table = table
        self._composite = composite
        self._answers: dict[str, dict[str, object]] = {}
        self._lock = threading.Lock()

    @property
    def composite(self) -> CompositeState:
        if self._composite is None:
            with self._lock:
                if self._composite is None:
                    self._composite = live_network_with(
                        basis=LiveBasis.read(upto=self.at_activation))
                    freeze_long_lived()  # kept until the next activation
        return self._composite

    @property
    def zone_owner(self) -> dict[str, str]:
        """Live zone id -> the region it belongs to (from the table: no compose needed)."""
        return self.table.zone_owner

    @property
    def region_versions(self) -> dict[str, str]:
        return self.table.region_versions

    @property
    def gaps(self) -> list[str]:
        return self.table.gaps

    def route(self, zone: str) -> dict[str, object] | None:
        """The zone's live answer (a live zone's is kept once asked: a warm lookup is a dict
        lookup). Only live zones are kept, so what is kept is bounded by the live network,
        whatever zone names callers send."""
        try:
            return self._answers[zone]
        except KeyError:
            answer = self.table.answer(zone)
            if answer is not None:
                self._answers[zone] = answer
            return answer

    def routes(self, zones: Iterable[str]) -> tuple[list[dict[str, object]], list[str]]:
        """(answers of the live zones, the zones not live), in the order asked. Zones not kept
        yet are answered together (one gather per table); live ones are kept (as `route`)."""
        asked = list(zones)
        known = self._answers
        new = [zone for zone in dict.fromkeys(asked) if zone not in known]
        fresh = dict(zip(new, self.table.answers(new), strict=True)) if new else {}
        known.update((zone, answer) for zone, answer in fresh.items() if answer is not None)
        found: list[dict[str, object]] = []
        missing: list[str] = []
        for zone in asked:
            answer = known.get(zone)
            if answer is None:
                missing.append(zone)
            else:
                found.append(answer)
        return found, missing


_cache_lock = threading.Lock()
_cached: LiveState | None = None
_checked_at = 0.0


def live_state() -> LiveState:
    """The live state, loaded again only when a new activation exists.

    Whether one exists is asked of the database at most every RRM_LIVE_STATE_CHECK_MS
    (default 200 ms) per process, so a hot reader such as GET /route costs no query; the
    process that writes an activation forgets its copy at once, and every other process sees
    the change within that interval. A new state is loaded from the record its writer stored
    (`live_state_publish`), not rebuilt; only without one is it built here (and stored).
    """
    global _cached, _checked_at
    cached = _cached
    now = time.monotonic()
    if cached is not None and now - _checked_at < _check_interval():
        return cached
    newest = Activation.objects.aggregate(newest=Max("id"))["newest"] or 0
    _checked_at = now
    if cached is not None and cached.at_activation == newest:
        return cached
    with _cache_lock:
        if _cached is not None and _cached.at_activation == newest:
            return _cached
        _cached = _load(newest) or _build(LiveBasis.read(upto=newest), store=True)
        freeze_long_lived()  # kept until the next activation: no need to scan it meanwhile
        return _cached


def live_summary(*, state: LiveState | None = None) -> dict[str, Any]:
    """Per region its live version, activation, who made it and zone count, and the coverage
    gaps: what `GET /active` and `manage.py active` show, and the Git mirror's live.json. Of
    the live state now, or of `state` (a past one)."""
    state = state or live_state()
    zones = state.table.zone_counts
    latest = latest_activations(upto=state.at_activation)
    by = activation_actors(activations=list(latest.values()))
    return {
        "regions": {
            code: {"version": a.version_id, "activation": a.id, "kind": a.kind,
                   "activated_at": a.created_at.isoformat(), "by": by.get(a.id),
                   "zones": zones.get(code, 0)}
            for code, a in sorted(latest.items())
        },
        "gaps": state.gaps,
    }


def activation_actors(*, activations: list[Activation]) -> dict[int, str]:
    """Who made each activation (activation id -> user name): its actor, or for a rollout's
    phase, which the engine writes with no actor, whoever started the rollout. Absent when
    nobody did (a set-up or the system)."""
    out = {a.id: a.actor.get_username() for a in activations if a.actor is not None}
    rollouts = {a.rollout_id for a in activations if a.actor_id is None and a.rollout_id}
    if rollouts:
        starters = dict(AuditEvent.objects.filter(
            action="rollout.started", object_type="rollout",
            object_id__in=[str(r) for r in rollouts], actor__isnull=False)
            .order_by("-id").values_list("object_id", "actor__username"))
        for a in activations:
            if a.id not in out and a.rollout_id and str(a.rollout_id) in starters:
                out[a.id] = starters[str(a.rollout_id)]
    return out


def live_state_at(*, at_activation: int) -> LiveState:
    """The live state as it was right after activation `at_activation` (read from its record
    when one was stored, else built, not stored: the records mark writers' commits)."""
    current = live_state()
    if current.at_activation == at_activation:
        return current
    return _load(at_activation) or _build(LiveBasis.read(upto=at_activation), store=False)


def live_state_publish() -> LiveState:
    """Build and store the live state as the caller's activations leave it: called by every
    writer inside its transaction, after its activations and under the live-state lock, so
    other processes load it instead of building it. The findings of the writer's own check
    of these changes are stored with it."""
    state = _build(LiveBasis.read(), store=True)
    _store_checked_findings(state.at_activation)
    if settings.RRM_GIT_MIRROR:
        transaction.on_commit(_mirror_to_git)
    return state


def _mirror_to_git() -> None:
    """Ask a worker to write the new live state to the Git mirror (by task name: services do
    not import the tasks). A broker that is down only delays it: the beat catches up."""
    try:
        task_send(name=GIT_MIRROR_SYNC, args=())
    except Exception:  # the broker is down
        logger.warning("git_mirror.enqueue_failed", exc_info=True)


def _load(at_activation: int) -> LiveState | None:
    record = LiveStateRecord.objects.filter(at_activation=at_activation).only("data").first()
    if record is None:
        return None
    data = bytes(record.data)
    tables = {version_id: version_route_table(version_id=version_id)
              for version_id in set(LiveTable.versions_in(data).values())}
    return LiveState(at_activation, LiveTable.unpack(data, tables))


def _build(basis: LiveBasis, *, store: bool) -> LiveState:
    """The live table from the live versions' route tables when they share a network (an
    assignment of owners), else from the composed state's own table."""
    live = [LiveRoutes(code=code, version_id=a.version.id, sequence=a.id,
                       table=version_route_table(version_id=a.version.id))
            for code, a in basis.latest.items() if a.version is not None]
    ever = zones_ever_claimed(live_codes=[r.code for r in live], history=basis.history)
    table = LiveTable.assemble(basis.newest, live, ever)
    own: RouteTable | None = None
    composite = None
    if table is None:  # the live versions' networks differ: compose, and route on that
        composite = live_network_with(basis=basis)
        assert composite.bundle is not None  # there are live regions
        composed = route_table(composite.bundle)
        table = LiveTable.single(basis.newest, composed, composite.zone_owner,
                                 composite.region_versions, composite.gaps)
        own = composed
    if store:
        data = table.pack(own=own)
        try:
            with transaction.atomic():  # a savepoint: another process may have stored it
                LiveStateRecord.objects.get_or_create(at_activation=basis.newest,
                                                      defaults={"data": data})
        except IntegrityError:
            pass
    return LiveState(basis.newest, table, composite)


def live_state_forget() -> None:
    """Drop this process's live state (after writing activations)."""
    global _cached
    _cached = None


def _check_interval() -> float:
    return float(getattr(settings, "RRM_LIVE_STATE_CHECK_MS", 200)) / 1000.0


_CHECKED: dict[int, CheckedComposite] = {}


def composite_checked(*, composite: CompositeState) -> CheckedComposite:
    """The check catalogue over a composite state, by scope (`composite_checks`). Kept for
    the last few composites: the live state's is the start of every plan check."""
    cached = _CHECKED.get(id(composite))
    if cached is None or cached.state is not composite:
        cached = _keep_checked(check_composite(composite))
    return cached


def _keep_checked(checked: CheckedComposite) -> CheckedComposite:
    if len(_CHECKED) >= 4:
        _CHECKED.clear()
    _CHECKED[id(checked.state)] = checked
    return checked


def composite_findings(*, composite: CompositeState) -> list[Finding]:
    """The check catalogue over a composite state, plus its coverage gaps (copies: callers
    may label them)."""
    return composite_checked(composite=composite).findings()


def live_network_errors(*, changes: Mapping[str, Version | None] | None = None,
                        basis: LiveBasis | None = None) -> list[Finding]:
    """The errors of `live_network_with(changes)`: what a write to the live state must not
    leave behind."""
    basis = basis or LiveBasis.read()
    state = live_network_with(changes=changes, basis=basis)
    known = live_checked(basis=basis)
    # The live state's findings are known (or kept once found): check only what changed.
    checked = check_composite_after(known, state) if known else check_composite(state)
    # If the caller goes on to write exactly these changes, `live_state_publish` keeps these
    # findings as the new live state's: the next check of a change starts from them.
    _pending.check = (basis.newest, [(code, version.id if version else None)
                                     for code, version in (changes or {}).items()], checked)
    return [f for f in checked.findings() if f.severity == "error"]


#: per thread, the last `live_network_errors` check: (the activation it was based on, the
#: changes as (region, version id), its findings)
_pending = threading.local()


def _store_checked_findings(at_activation: int) -> None:
    """Store the findings of this thread's last check as those of the live state at
    `at_activation` when what was written since the check's basis is exactly the checked
    changes, in their order (then the two states are the same composite)."""
    pending = getattr(_pending, "check", None)
    _pending.check = None
    if pending is None:
        return
    based_on, changes, checked = pending
    written = list(Activation.objects.filter(id__gt=based_on, id__lte=at_activation)
                   .order_by("id").values_list("region", "version_id"))
    if written == changes:
        live_findings_store(at_activation=at_activation, checked=checked)


def live_checked(*, basis: LiveBasis) -> CheckedComposite | None:
    """The live state's composite with its findings when that state is the one `basis` was
    read at (None when another activation came between): the start of every check of a
    change to the live network."""
    live = live_state()
    if live.at_activation != basis.newest:
        return None
    composite = live.composite
    known = _CHECKED.get(id(composite))
    if known is not None and known.state is composite:
        return known
    # Another process may have checked this state already; else check it and say so.
    stored = live_findings_load(at_activation=live.at_activation, state=composite)
    if stored is not None:
        _keep_checked(stored)
        return stored
    checked = composite_checked(composite=composite)
    live_findings_store(at_activation=live.at_activation, checked=checked)
    return checked
