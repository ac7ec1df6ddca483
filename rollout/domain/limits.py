"""How large a network a stored version may describe: zones and facilities.

A version is read whole wherever it is used (the plan check, the simulation, its pages), so its
size is bounded where versions are stored. The limits are the caller's (settings
RRM_MAX_ZONES and RRM_MAX_FACILITIES); this module only counts and says so, as finding E103 at
the list that is too long. Counted from the loaded YAML, so a bundle that also fails the
schema is bounded too.
"""

from __future__ import annotations

from typing import Any

from rollout.domain.bundle import ParsedBundle
from rollout.domain.findings import Finding, Ref

CODE = "E103"


def network_sizes(parsed: ParsedBundle) -> dict[str, int]:
    """{"zones": N, "facilities": M} as written in the network section (0 when absent)."""
    if parsed.bundle is not None:
        network = parsed.bundle.network
        return {"zones": len(network.zones), "facilities": len(network.facilities)}
    data = _network_data(parsed)
    return {key: len(value) if isinstance(value := data.get(key), list) else 0
            for key in ("zones", "facilities")}


def size_findings(parsed: ParsedBundle, *, max_zones: int,
                  max_facilities: int) -> list[Finding]:
    """E103 for each of zones and facilities over its limit, pointing at the list's key."""
    sizes = network_sizes(parsed)
    findings = []
    for key, limit, setting in (("zones", max_zones, "RRM_MAX_ZONES"),
                                ("facilities", max_facilities, "RRM_MAX_FACILITIES")):
        if sizes[key] > limit:
            findings.append(Finding(
                code=CODE,
                message=f"the network has {sizes[key]:,} {key}; a version may have at most "
                        f"{limit:,}",
                hint=f"the limit is the server's {setting} setting",
                ref=Ref("network", (key,), key=True)))
    return findings


def _network_data(parsed: ParsedBundle) -> dict[str, Any]:
    source = parsed.sources.get("network")
    if source is None or source.file not in parsed.documents:
        return {}
    data: Any = parsed.documents[source.file].data
    for part in source.prefix:
        data = data.get(part) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}
