"""The database's records. No behaviour hides here (STYLE.md rule 5): services write them."""

from rollout.models.audit import AuditEvent
from rollout.models.designs import DesignJob
from rollout.models.kpis import KpiSnapshot, SimulationRun
from rollout.models.live import GitMirrorState, LiveLock, LiveStateRecord, RouteTableRecord
from rollout.models.rollouts import (
    Activation,
    FreezeWindow,
    Gate,
    GateResult,
    Phase,
    Rollout,
    RolloutEvent,
)
from rollout.models.simulations import SimulationJob
from rollout.models.tokens import ApiToken
from rollout.models.versions import Version, VersionFile
from rollout.models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "Activation",
    "ApiToken",
    "AuditEvent",
    "DesignJob",
    "FreezeWindow",
    "Gate",
    "GateResult",
    "GitMirrorState",
    "KpiSnapshot",
    "LiveLock",
    "LiveStateRecord",
    "Phase",
    "Rollout",
    "RolloutEvent",
    "RouteTableRecord",
    "SimulationJob",
    "SimulationRun",
    "Version",
    "VersionFile",
    "WebhookDelivery",
    "WebhookSubscription",
]
