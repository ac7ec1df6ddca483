"""The live state's check findings, stored beside its routes (`LiveStateRecord.findings`).

Every check of a change to the live network starts from the live state's own findings
(`composite_checks.check_composite_after`), and finding them is a full run of the check
catalogue over the live composite (about a second at national scale). The first process that
finds them stores them here, keyed by the live state's activation, and every later process
(a `rollout create` command, another web or worker process) reads them instead of checking
again. They are a pure function of the state at that activation, so they never go stale: a new
activation is a new record.
"""

from __future__ import annotations

import logging

import orjson
from django.db import DatabaseError, transaction

from rollout.domain.composite import CompositeState
from rollout.domain.composite_checks import CheckedComposite, facility_owners
from rollout.domain.findings import Finding
from rollout.models import LiveStateRecord

logger = logging.getLogger(__name__)


def live_findings_load(*, at_activation: int, state: CompositeState) -> CheckedComposite | None:
    """The stored findings of the live state at `at_activation` (whose composite is `state`),
    or None when none were stored yet."""
    stored = (LiveStateRecord.objects.filter(at_activation=at_activation)
              .values_list("findings", flat=True).first())
    if stored is None:
        return None
    by_scope = {scope: [Finding(code=code, message=message, hint=hint)
                        for code, message, hint in items]
                for scope, items in orjson.loads(bytes(stored)).items()}
    return CheckedComposite(state, by_scope, facility_owners(state), how="stored",
                            checked_regions=[])


def live_findings_store(*, at_activation: int, checked: CheckedComposite) -> None:
    """Keep `checked`'s findings for the live state at `at_activation` (when its record exists
    and holds none yet). Composite findings have no file positions: code, message and hint
    are the whole of them."""
    data = orjson.dumps({scope: [(item.code, item.message, item.hint) for item in items]
                         for scope, items in checked.by_scope.items()})
    try:
        with transaction.atomic():  # a savepoint: a reader's transaction survives a failure
            LiveStateRecord.objects.filter(at_activation=at_activation, findings=None).update(
                findings=data)
    except DatabaseError:  # busy (SQLite) or read-only: the next process checks it again
        logger.warning("live_state.findings_not_stored at_activation=%s", at_activation,
                       exc_info=True)
