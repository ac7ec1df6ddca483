"""Semantic and text diffs between two bundles (DESIGN section 5).

The semantic diff says what a change means for the network: zones changing region, facilities,
lanes and regions that appear, disappear or change, zones whose candidate FCs or path change, and
changed settings. Routes are compared for every zone, so that work is batched: candidates are
resolved per routing rule over chunks of zones, and fastest paths come from one Dijkstra per
distinct first-candidate FC, walked once per distinct (FC, station) pair.

Modules: `semantic` computes the semantic diff (routes in `routes`, over the two `sides`) into
the `model` built of `changes`; `text` makes the unified diffs; `render` writes the report;
`zone_ids` compresses zone ids into ranges.
"""

from rollout.domain.diff.changes import (
    FieldChange,
    ItemChange,
    RegionMove,
    RegionRename,
    RouteChange,
    RouteChanges,
)
from rollout.domain.diff.model import DETAIL_LIMIT, Group, SemanticDiff
from rollout.domain.diff.render import render_text
from rollout.domain.diff.semantic import semantic_diff
from rollout.domain.diff.text import FileDiff, text_diff, unified_diff
from rollout.domain.diff.zone_ids import compress_zone_ids, zone_id_runs

__all__ = [
    "DETAIL_LIMIT",
    "FieldChange",
    "FileDiff",
    "Group",
    "ItemChange",
    "RegionMove",
    "RegionRename",
    "RouteChange",
    "RouteChanges",
    "SemanticDiff",
    "compress_zone_ids",
    "render_text",
    "semantic_diff",
    "text_diff",
    "unified_diff",
    "zone_id_runs",
]
