"""Activations, the live composite state built from them, one-region rollback and routes."""

from __future__ import annotations

import pytest

from rollout.domain.text import ReasonRejected
from rollout.models import Activation, AuditEvent, WebhookDelivery, WebhookSubscription
from rollout.services.activations import ActivationRefused, region_rollback
from rollout.services.live import composite_findings, live_state, live_state_forget
from rollout.services.live_network import latest_activations, zones_ever_claimed
from rollout.services.roles import RoleRequired
from rollout.services.route_index import route_lookup
from tests.factories import version_factory
from tests.rollout_factories import (
    People,
    live_versions,
    make_live,
    moved_282_version,
    original_version,
    rerouted_version,
)

pytestmark = pytest.mark.django_db

NE_ZONES = {"021", "024", "070", "071", "100", "112"}


def live_errors() -> list[str]:
    return [f"{f.code} {f.message}" for f in composite_findings(composite=live_state().composite)
            if f.severity == "error"]


# --- latest activations and the live state --------------------------------------------------


def test_latest_activations__several_per_region__the_newest_wins() -> None:
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    [ne] = make_live(rerouted, ["NE"])

    latest = latest_activations()

    assert latest["NE"] == ne
    assert live_versions() == {"NE": rerouted.id, "MA": original.id, "SE": original.id}


def test_live_state__no_new_activation__cached_object_returned() -> None:
    make_live(original_version())

    first, second = live_state(), live_state()

    assert first is second


def test_live_state__new_activation__rebuilt() -> None:
    original = original_version()
    make_live(original, ["NE"])
    first = live_state()

    make_live(original, ["MA"])
    second = live_state()

    assert second is not first
    assert set(second.composite.region_versions) == {"NE", "MA"}


def test_live_state__nothing_ever_live__empty_without_gaps() -> None:
    state = live_state().composite

    assert state.bundle is None and state.gaps == [] and state.zone_owner == {}


def test_live_state__regions_never_live__their_zones_not_live_and_no_gaps() -> None:
    # Given only NE ever went live
    make_live(original_version(), ["NE"])

    # Then MA's and SE's zones are not live, and that is not an error
    state = live_state().composite
    assert state.live_zones == NE_ZONES
    assert state.gaps == [] and live_errors() == []


def test_ever_claimed_zones__region_rolled_back_to_not_live__its_zones_leave_no_gap() -> None:
    # Given NE and SE live, then SE taken out of service
    original = original_version()
    make_live(original, ["NE", "SE"])
    make_live(None, ["SE"], kind=Activation.Kind.REGION_ROLLBACK)

    # Then SE's zones are simply not live
    assert zones_ever_claimed() == NE_ZONES
    assert live_state().composite.gaps == []
    assert live_errors() == []


def test_live_state__zone_lost_between_two_live_versions__gap_reported_as_e120() -> None:
    # Given everything live on the original (SE claims 282), then SE alone moved to the version
    # where MA claims 282 (written directly, as no service would allow it)
    make_live(original_version())
    make_live(moved_282_version(), ["SE"])

    # Then 282 is a gap in the live state
    assert live_state().composite.gaps == ["282"]
    assert live_errors() == ["E120 zone 282 was live but no live region claims it now "
                             "(coverage gap)"]


# --- region rollback ------------------------------------------------------------------------


def test_region_rollback__operator_to_an_earlier_version__region_back_with_audit(
        who: People) -> None:
    # Given NE went from the original to the rerouted version
    original = original_version()
    earlier = {a.region: a for a in make_live(original)}
    make_live(rerouted_version(), ["NE"])
    audit_before = AuditEvent.objects.count()

    # When an operator puts NE back on the original
    activation = region_rollback(region="NE", version=original, reason="Newark slower",
                                 actor=who.operator)

    # Then NE is on the original, the activation points at what it restores, one audit row
    assert live_versions()["NE"] == original.id
    assert activation.kind == Activation.Kind.REGION_ROLLBACK
    assert activation.restores == earlier["NE"]
    assert activation.actor == who.operator and activation.reason == "Newark slower"
    assert AuditEvent.objects.count() == audit_before + 1
    event = AuditEvent.objects.get(action="region.rolled_back")
    assert (event.object_id, event.reason, event.actor) == ("NE", "Newark slower", who.operator)
    assert event.details["to"] == original.id
    assert route_lookup(zone="070") == {"zone": "070", "region": "NE", "version": original.id,
                                   "fcs": ["FC-EWR4", "FC-BOS7"],
                                   "path": ["FC-EWR4", "SC-EWR2", "DS-EWR9"]}


def test_region_rollback__to_none__region_not_live_and_no_gap(who: People) -> None:
    make_live(original_version())

    activation = region_rollback(region="SE", version=None, reason="switch SE off",
                                 actor=who.operator)

    assert activation.version is None and activation.restores is None
    assert "SE" not in live_state().composite.region_versions
    assert live_state().composite.live_zones.isdisjoint({"282", "303"})
    assert live_errors() == []
    assert route_lookup(zone="303") is None


@pytest.mark.parametrize("role", ["editor", "approver", "viewer"])
def test_region_rollback__without_the_operator_role__role_required(who: People,
                                                                   role: str) -> None:
    original = original_version()
    make_live(original)

    with pytest.raises(RoleRequired, match="needs the operator role"):
        region_rollback(region="NE", version=original, reason="x", actor=getattr(who, role))


@pytest.mark.parametrize("reason", ["", "  "])
def test_region_rollback__without_a_reason__refused(who: People, reason: str) -> None:
    original = original_version()
    make_live(original)

    with pytest.raises(ReasonRejected, match="a rollback needs a reason"):
        region_rollback(region="NE", version=original, reason=reason, actor=who.operator)


def test_region_rollback__would_leave_a_zone_uncovered__refused_with_e120(
        who: People) -> None:
    # Given MA and SE on the version where MA claims 282 (SE no longer does)
    original = original_version()
    make_live(original)
    make_live(moved_282_version(), ["MA", "SE"])
    count = Activation.objects.count()

    # When MA alone goes back to the original, which does not claim 282
    with pytest.raises(ActivationRefused, match="would break the live network") as refused:
        region_rollback(region="MA", version=original, reason="undo", actor=who.operator)

    # Then it is refused with the gap, and nothing was written
    assert [f.code for f in refused.value.findings] == ["E120"]
    assert "zone 282" in refused.value.findings[0].message
    assert Activation.objects.count() == count


def test_region_rollback__never_live_region__refused(who: People) -> None:
    original = original_version()
    make_live(original, ["NE"])

    with pytest.raises(ActivationRefused, match="region SE has never been live"):
        region_rollback(region="SE", version=original, reason="x", actor=who.operator)


def test_region_rollback__invalid_version__refused(who: People) -> None:
    make_live(original_version())
    broken = version_factory("broken", network=("station: DS-ATL2", "station: DS-NOPE"))

    with pytest.raises(ActivationRefused, match="has errors and can never be live"):
        region_rollback(region="SE", version=broken, reason="x", actor=who.operator)


def test_region_rollback__version_without_that_region__refused(who: People) -> None:
    make_live(original_version())
    renamed = version_factory("SE renamed", regions=("code: SE", "code: SO"))

    with pytest.raises(ActivationRefused, match=f"version {renamed.id} has no region SE"):
        region_rollback(region="SE", version=renamed, reason="x", actor=who.operator)


def test_region_rollback__subscription__one_rollback_delivery(who: People) -> None:
    original = original_version()
    make_live(original)
    WebhookSubscription.objects.create(url="http://127.0.0.1:9/hook", secret="s")

    activation = region_rollback(region="NE", version=None, reason="off", actor=who.operator)

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == "rollback"
    assert delivery.payload == {"region": "NE", "version": None, "activation": activation.id,
                                "reason": "off"}


# --- routes ---------------------------------------------------------------------------------


def test_route_lookup__regions_on_different_versions__each_zone_from_its_regions_version(
) -> None:
    original, rerouted = original_version(), rerouted_version()
    make_live(original)
    make_live(rerouted, ["NE"])

    newark, atlanta = route_lookup(zone="070"), route_lookup(zone="303")

    assert newark == {"zone": "070", "region": "NE", "version": rerouted.id,
                      "fcs": ["FC-BOS7", "FC-EWR4"], "path": ["FC-BOS7", "SC-EWR2", "DS-EWR9"]}
    assert atlanta is not None
    assert (atlanta["region"], atlanta["version"]) == ("SE", original.id)
    assert atlanta["path"] == ["FC-ATL6", "SC-ATL3", "DS-ATL2"]


def test_route_lookup__unknown_or_not_live_zone__none() -> None:
    make_live(original_version(), ["NE"])

    assert route_lookup(zone="303") is None
    assert route_lookup(zone="999") is None


def test_route_lookup__via_hop_without_lane__empty_path_like_the_checks() -> None:
    # Given NE live on a version whose Newark rule goes via SC-BWI5: no lane FC-EWR4 -> SC-BWI5
    broken_via = version_factory("Newark via Baltimore",
                                 routing=("via: [SC-EWR2]", "via: [SC-BWI5]"))
    make_live(original_version())
    make_live(broken_via, ["NE"])

    # When the live route of a Newark zone is asked
    answer = route_lookup(zone="070")

    # Then its candidates are listed but its path is broken (empty), as E140 says
    assert answer == {"zone": "070", "region": "NE", "version": broken_via.id,
                      "fcs": ["FC-EWR4", "FC-BOS7"], "path": []}
    assert any(f.code == "E140" for f in composite_findings(composite=live_state().composite))


def test_live_state__loaded_by_another_process__every_live_zone_answered_from_the_record(
) -> None:
    # Given every region live, and the live state its writer stored
    original = original_version()
    make_live(original)
    expected = {zone: route_lookup(zone=zone) for zone in live_state().composite.live_zones}

    # When a process that never built it loads it (its memory forgotten)
    live_state_forget()
    state = live_state()

    # Then it answers every live zone as the writer's process did, without composing
    assert state._composite is None
    assert {zone: state.route(zone) for zone in expected} == expected
    assert all(answer is not None and answer["version"] == original.id
               for answer in expected.values())
