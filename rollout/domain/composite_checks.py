"""The check catalogue over composite states, incrementally from one state to the next.

Every finding of a composite points (through its `Ref`) at one of: the network's facilities or
lanes, a zone, a region, or a routing rule; and in a composite each zone and each rule belongs
to exactly one live region (`CompositeState.rule_region`). So a composite's findings split into
the network's and each region's. A region's findings depend on its own zones, rules and
definition, on the network, on which region owns each facility (through ownership, region FCs
and paths leaving the region), and on the bundle-wide settings (the SLA policy, the fallback,
the demand). When a phase changes some regions and leaves the network, facility ownership and
those settings as they were, only the regions it touches need checking again: those whose
version or zones changed. They are checked on a slice of the composite (their zones and rules;
every region's definition, so facility ownership is whole) and the other regions keep their
findings. Anything else (another network, facilities changing hands, another SLA) is checked
in full.

`check_composite_after(previous, state)` equals `check_composite(state)` exactly
(tests/domain/test_composite_checks.py checks it on random plans over random networks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from rollout.domain.bundle import Bundle
from rollout.domain.checks import MAX_FINDINGS_PER_CODE, cap_per_code, run_checks
from rollout.domain.composite import CompositeState, gap_findings
from rollout.domain.findings import Finding, sort_findings
from rollout.domain.schema import Network, Region, Regions, Routing

#: the scope of findings about the network's facilities and lanes
NETWORK = ""


@dataclass
class CheckedComposite:
    """A composite state with its findings by scope (NETWORK, or a region code)."""

    state: CompositeState
    by_scope: dict[str, list[Finding]]
    facility_owner: dict[str, str]
    #: how the findings were found: "full", or "incremental" with the regions checked again
    how: str = "full"
    checked_regions: list[str] = field(default_factory=list)

    def findings(self) -> list[Finding]:
        """Coverage gaps and the catalogue's findings, sorted, at most MAX_FINDINGS_PER_CODE
        of a code (a summary for the rest), without positions (a composite has no files)."""
        found = gap_findings(self.state)
        for scoped in self.by_scope.values():
            found.extend(replace(item, ref=None) for item in scoped)
        return cap_per_code(sort_findings(found), MAX_FINDINGS_PER_CODE)


def check_composite(state: CompositeState) -> CheckedComposite:
    """Every check over the whole composite."""
    owners = facility_owners(state)
    if state.bundle is None:
        return CheckedComposite(state, {}, owners)
    scopes = _attribute(run_checks(state.bundle, cap=False), state.bundle, state.zone_owner,
                        state.rule_region)
    assert scopes is not None  # every finding of a whole composite has a scope
    return CheckedComposite(state, scopes, owners, checked_regions=sorted(state.region_versions))


def check_composite_after(previous: CheckedComposite, state: CompositeState) -> CheckedComposite:
    """The findings of `state`, checking again only what changed since `previous` (see the
    module's docstring); in full when the network or facility ownership changed."""
    old, new = previous.state, state
    owners = facility_owners(new)
    if (old.bundle is None or new.bundle is None or owners != previous.facility_owner
            or not _same_network(old.bundle.network, new.bundle.network)
            or not _same_settings(old.bundle, new.bundle)):
        return check_composite(new)
    touched = _touched_regions(old, new)
    if not touched:
        return CheckedComposite(new, dict(previous.by_scope), owners, how="incremental")
    sliced, rule_region = _slice(new, touched)
    scopes = _attribute(run_checks(sliced, cap=False), sliced, new.zone_owner, rule_region)
    if scopes is None:  # a finding the slice cannot place: be exact, check it all
        return check_composite(new)
    kept = set(new.region_versions) - touched
    by_scope = {scope: found for scope, found in previous.by_scope.items()
                if scope == NETWORK or scope in kept}
    for code in touched & set(new.region_versions):
        by_scope[code] = scopes.get(code, [])
    return CheckedComposite(new, by_scope, owners, how="incremental",
                            checked_regions=sorted(touched))


def facility_owners(state: CompositeState) -> dict[str, str]:
    """Facility id -> the live region owning it (the first region listing it, in order)."""
    owners: dict[str, str] = {}
    if state.bundle is not None:
        for region in state.bundle.regions.regions:
            for facility in region.facilities:
                owners.setdefault(facility, region.code)
    return owners


_SAME: dict[tuple[int, ...], tuple[Network, Network, bool]] = {}


def _same_network(a: Network, b: Network) -> bool:
    """The same facilities and lanes, in the same order (zones are compared per region).
    Composites of the same versions share their lists; comparing 12,000 records otherwise is
    kept per pair of lists (a plan check asks it of every phase)."""
    if a.facilities is b.facilities and a.lanes is b.lanes:
        return True
    key = (id(a.facilities), id(a.lanes), id(b.facilities), id(b.lanes))
    known = _SAME.get(key)
    if known is not None and known[0].facilities is a.facilities and \
            known[1].facilities is b.facilities:
        return known[2]
    same = a.facilities == b.facilities and a.lanes == b.lanes
    if len(_SAME) >= 16:
        _SAME.clear()
    _SAME[key] = (a, b, same)  # holds the lists, so their ids stay theirs
    return same


def _same_settings(a: Bundle, b: Bundle) -> bool:
    """The same bundle-wide settings (a composite takes them from its newest version): the
    policy (the SLA every zone is judged by), the routing fallback and the demand."""
    return (a.regions.policy == b.regions.policy and a.routing.fallback == b.routing.fallback
            and a.demand == b.demand)


def _touched_regions(old: CompositeState, new: CompositeState) -> set[str]:
    """Regions that came, went or changed version, and those whose zones changed. (A zone's
    record comes from its owner's version, so it changes only with one of those.)"""
    assert old.bundle is not None and new.bundle is not None
    codes = set(old.region_versions) | set(new.region_versions)
    touched = {c for c in codes if old.region_versions.get(c) != new.region_versions.get(c)}
    old_zones = {r.code: r.zones for r in old.bundle.regions.regions}
    for region in new.bundle.regions.regions:
        if region.code not in touched and old_zones.get(region.code) != region.zones:
            touched.add(region.code)
    # A zone a region lost went to a touched region (or out): that region is touched already.
    return touched


def _slice(state: CompositeState, touched: set[str]) -> tuple[Bundle, list[str]]:
    """The composite with only the touched regions' zones and rules; every region's definition
    stays (without zones), in order, so facility ownership and region positions are whole."""
    bundle = state.bundle
    assert bundle is not None
    zones = [z for z in bundle.network.zones if state.zone_owner[z.id] in touched]
    regions = [r if r.code in touched else Region.model_construct(
                   code=r.code, name=r.name, zones=[], facilities=r.facilities)
               for r in bundle.regions.regions]
    kept = [i for i, code in enumerate(state.rule_region) if code in touched]
    routes = [bundle.routing.routes[i] for i in kept]
    sliced = Bundle(
        network=Network.model_construct(facilities=bundle.network.facilities, zones=zones,
                                        lanes=bundle.network.lanes),
        regions=Regions.model_construct(regions=regions, policy=bundle.regions.policy),
        routing=Routing.model_construct(routes=routes, fallback=bundle.routing.fallback),
        demand=bundle.demand,
    )
    return sliced, [state.rule_region[i] for i in kept]


def _attribute(found: Iterable[Finding], bundle: Bundle, zone_owner: dict[str, str],
               rule_region: list[str]) -> dict[str, list[Finding]] | None:
    """Findings by scope, from what each points at; None if one points nowhere known."""
    scopes: dict[str, list[Finding]] = {}
    regions, zones = bundle.regions.regions, bundle.network.zones
    for item in found:
        ref = item.ref
        if ref is None or not ref.path:
            return None
        head, index = ref.path[0], ref.path[1] if len(ref.path) > 1 else None
        scope: str | None = None
        if ref.section == "network" and head in ("facilities", "lanes"):
            scope = NETWORK
        elif ref.section == "network" and head == "zones" and isinstance(index, int):
            scope = zone_owner.get(zones[index].id)
        elif ref.section == "regions" and head == "regions" and isinstance(index, int):
            scope = regions[index].code
        elif ref.section == "routing" and head == "routes" and isinstance(index, int):
            scope = rule_region[index]
        if scope is None:
            return None
        scopes.setdefault(scope, []).append(item)
    return scopes
