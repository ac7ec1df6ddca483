"""Incremental composite checks equal full ones: random plans over random networks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.domain.bundle import Bundle
from rollout.domain.composite import CompositeState, LiveRegion, claimed_zones, compose
from rollout.domain.composite_checks import (
    CheckedComposite,
    check_composite,
    check_composite_after,
)
from rollout.domain.schema import (
    Facility,
    Lane,
    Network,
    Policy,
    Region,
    Regions,
    Route,
    Routing,
    Zone,
)

CODES = ("AA", "BB", "CC")
FCS, SCS, DSS = ("FC-1", "FC-2", "FC-3"), ("SC-1", "SC-2"), ("DS-1", "DS-2", "DS-3")
FACILITIES = FCS + SCS + DSS
ZONES = tuple(f"{100 + i}" for i in range(8))
RULE_KINDS: tuple[Literal["nearest", "nearest_in_region"], ...] = ("nearest", "nearest_in_region")


@st.composite
def networks(draw: st.DrawFn) -> Network:
    spot = st.floats(min_value=30, max_value=32, allow_nan=False)
    facilities = [Facility(id=f, type=f[:2].lower(), lat=draw(spot), lon=draw(spot),  # type: ignore[arg-type]  # "fc" | "sc" | "ds"
                           capacity=draw(st.none() | st.integers(0, 50)) if f in FCS else None)
                  for f in FACILITIES]
    # A zone's station is usually a delivery station; sometimes not (E110), or unknown.
    stations = st.sampled_from(DSS) | st.sampled_from(("SC-1", "DS-9"))
    zones = [Zone(id=z, lat=draw(spot), lon=draw(spot), station=draw(stations),
                  demand=draw(st.none() | st.integers(0, 30))) for z in ZONES]
    pairs = draw(st.lists(st.tuples(st.sampled_from(FACILITIES), st.sampled_from(FACILITIES)),
                          max_size=24))
    hours = st.none() | st.sampled_from((1.0, 2.0, 3.0))
    lanes = [Lane.model_validate({"from": a, "to": b, "hours": draw(hours)})
             for a, b in dict.fromkeys(pairs) if a != b]
    return Network(facilities=facilities, zones=zones, lanes=lanes)


@st.composite
def bundles(draw: st.DrawFn, network: Network) -> Bundle:
    owner = {z: draw(st.sampled_from((*CODES, None))) for z in ZONES}
    regions = [Region(code=c, name=c.title(), zones=[z for z, o in owner.items() if o == c],
                      facilities=draw(st.lists(st.sampled_from(FACILITIES), max_size=4,
                                               unique=True)))
               for c in CODES]
    candidates: st.SearchStrategy[Literal["nearest", "nearest_in_region"] | list[str]] = (
        st.sampled_from(RULE_KINDS)
        | st.lists(st.sampled_from((*FCS, "SC-1", "FC-9")), min_size=1, max_size=3,
                             unique=True))
    via = st.none() | st.lists(st.sampled_from((*SCS, "SC-9")), min_size=1, max_size=2)
    routes = [Route(region=c, fcs=draw(candidates), via=draw(via)) for c in CODES
              if draw(st.booleans()) or c == "AA"]
    sla = draw(st.none() | st.sampled_from((2.0, 5.0)))
    return Bundle(network=network, regions=Regions(regions=regions, policy=Policy(sla_hours=sla)),
                  routing=Routing(routes=routes))


@dataclass
class Plan:
    versions: list[Bundle]
    live: dict[str, int]  # region -> version index
    order: list[str]  # activation order of the live regions
    phases: list[list[str]]
    target: int


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    network = draw(networks())
    # Mostly one network; sometimes a version with its own (the full-check path).
    versions = [draw(bundles(network if i == 0 or draw(st.integers(0, 4)) else draw(networks())))
                for i in range(3)]
    live = {c: draw(st.integers(0, 2)) for c in CODES if draw(st.integers(0, 3))}
    order = draw(st.permutations(sorted(live)))
    phase_of = {c: draw(st.integers(0, 2)) for c in CODES if draw(st.integers(0, 4))}
    phases = [[c for c in CODES if phase_of.get(c) == p] for p in range(3)]
    return Plan(versions, live, list(order), [p for p in phases if p],
                draw(st.integers(0, 2)))


def _state(plan: Plan, placed: dict[str, tuple[int, int]], ever: set[str]) -> CompositeState:
    live = [LiveRegion(code, f"v{v}", plan.versions[v], seq) for code, (v, seq) in placed.items()]
    return compose(live, ever)


def _dicts(checked: CheckedComposite) -> list[dict[str, object]]:
    return [f.as_dict() for f in checked.findings()]


@settings(max_examples=150, deadline=None, database=None)
@given(plan=plans())
def test_check_composite_after__random_plans__equal_to_checking_in_full(plan: Plan) -> None:
    # Given the live regions, activated in order, and the zones they ever claimed
    placed = {code: (plan.live[code], seq) for seq, code in enumerate(plan.order, start=1)}
    history = {code: set(claimed_zones(plan.versions[v], code)) for code, (v, _) in placed.items()}
    checked = check_composite(_state(plan, placed, set().union(*history.values())))
    sequence = len(placed)

    for phase in plan.phases:
        # When a phase puts its regions on the target version
        for code in phase:
            sequence += 1
            placed[code] = (plan.target, sequence)
            history.setdefault(code, set()).update(claimed_zones(plan.versions[plan.target],
                                                                 code))
        ever = set().union(*(history[c] for c in placed))
        state = _state(plan, placed, ever)
        incremental = check_composite_after(checked, state)

        # Then its findings are exactly those of the whole state checked from scratch
        assert _dicts(incremental) == _dicts(check_composite(state))
        checked = incremental


def test_check_composite_after__one_region_changes__only_that_region_checked_again() -> None:
    # Given three regions live on one version
    network = Network(
        facilities=[Facility(id="FC-1", type="fc", lat=30, lon=30),
                    Facility(id="DS-1", type="ds", lat=30.5, lon=30.5)],
        zones=[Zone(id=z, lat=31, lon=31, station="DS-1") for z in ZONES],
        lanes=[Lane.model_validate({"from": "FC-1", "to": "DS-1"})])
    regions = [Region(code=c, name=c, zones=list(ZONES[i::3]),
                      facilities=["FC-1", "DS-1"] if c == "AA" else []) for i, c in
               enumerate(CODES)]
    old = Bundle(network=network, regions=Regions(regions=regions),
                 routing=Routing(routes=[Route(region="*", fcs="nearest")]))
    new = Bundle(network=network, regions=Regions(regions=regions),
                 routing=Routing(routes=[Route(region="*", fcs=["FC-1"])]))
    live = [LiveRegion(c, "old", old, i) for i, c in enumerate(CODES, start=1)]
    before = check_composite(compose(live))

    # When BB alone moves to the new version
    after = compose([*(r for r in live if r.code != "BB"), LiveRegion("BB", "new", new, 9)])
    incremental = check_composite_after(before, after)

    # Then only BB was checked again, and the findings are those of a full check
    assert incremental.how == "incremental" and incremental.checked_regions == ["BB"]
    assert _dicts(incremental) == _dicts(check_composite(after))
