"""A design written into the bundle's files: comments kept, ranges, routing, checks pass."""

from __future__ import annotations

import pytest

from rollout.domain.assignment import Assignment
from rollout.domain.design.files import proposal_files
from rollout.domain.design.frame import DesignRequest
from rollout.domain.design.regions import RegionDesign, region_design
from rollout.domain.network import NetworkIndex
from rollout.domain.simulate import simulate
from rollout.domain.validate import validate_files
from rollout.domain.yamledit import YamlEditError
from tests.domain.bundles import BundleFiles, east_coast, single_file_bundle


def _design(files: BundleFiles, request: DesignRequest) -> tuple[RegionDesign, dict[str, bytes]]:
    bundle = validate_files(files).bundle
    assert bundle is not None
    design = region_design(bundle=bundle, request=request)
    return design, proposal_files(files=files, network=bundle.network, design=design)


def test_proposal_files__east_coast__valid_regions_as_designed_comments_kept() -> None:
    # Given the east-coast example, designed into two regions
    files = east_coast()
    design, written = _design(files, DesignRequest(regions=2, contiguous=True))

    # When the written files are read back
    report = validate_files(written)

    # Then: no error, the regions are the design's, the comments are still there
    assert report.errors == 0, [f.as_text() for f in report.findings]
    assert report.bundle is not None
    read = {r.code: r for r in report.bundle.regions.regions}
    assert set(read) == {r.code for r in design.regions}
    regions_text = written["regions.yaml"].decode()
    assert "# Three regions. Every zone belongs to exactly one region" in regions_text
    assert "sla_hours: 48        # a route slower than this is a warning (W170)" in regions_text
    for region in design.regions:
        assert sorted(read[region.code].facilities) == sorted(region.facilities)
    assert written["network.yaml"] == files["network.yaml"]


def test_proposal_files__new_and_lost_regions__removed_and_appended_with_ranges() -> None:
    # Given a design of four regions (one per FC) for three base regions
    files = east_coast()
    design, written = _design(files, DesignRequest(regions=4))
    new = [r for r in design.regions if r.code.startswith("R")]

    # When
    report = validate_files(written)

    # Then: the new regions are appended; every zone of the design where it was put
    assert new, "four regions from three need a new code"
    assert report.bundle is not None
    codes = [r.code for r in report.bundle.regions.regions]
    assert codes[-len(new):] == [r.code for r in new]
    assert report.errors == 0, [f.as_text() for f in report.findings]
    net = NetworkIndex(report.bundle.network)
    assignment = Assignment(report.bundle, net)
    for region in design.regions:
        index = assignment.region_position[region.code]
        assert {net.zones.ids[z] for z in assignment.region_zone_sets[index].tolist()} == set(
            region.zones)


def test_proposal_files__routing__nearest_in_region_per_region_national_rule_kept() -> None:
    # Given the east-coast routing (a national rule, two region rules, a zone rule)
    files = east_coast()
    design, written = _design(files, DesignRequest(regions=3))

    # When
    report = validate_files(written)

    # Then
    assert report.bundle is not None
    routes = [(r.region, r.zones, r.fcs) for r in report.bundle.routing.routes]
    assert routes == [("*", None, "nearest")] + [
        (r.code, None, "nearest_in_region") for r in design.regions]
    assert "# Later rules override earlier ones" in written["routing.yaml"].decode()


def test_proposal_files__keep_routing__only_rules_of_lost_regions_go() -> None:
    # Given a design that keeps NE but not MA's code
    files = east_coast()
    bundle = validate_files(files).bundle
    assert bundle is not None
    design = region_design(bundle=bundle, request=DesignRequest(regions=2, keep=("NE",)))

    # When
    written = proposal_files(files=files, network=bundle.network, design=design,
                             keep_routing=True)

    # Then: the zone rule and the rules of regions that exist stay
    report = validate_files(written)
    assert report.bundle is not None
    codes = {r.code for r in design.regions}
    kept = [(r.region, r.zones) for r in report.bundle.routing.routes]
    expected = [(r.region, r.zones) for r in bundle.routing.routes
                if r.region is None or r.region == "*" or r.region in codes]
    assert kept == expected


def test_proposal_files__single_file_bundle__edited_in_its_sections() -> None:
    # Given the east-coast example as one file
    files = single_file_bundle()

    # When
    design, written = _design(files, DesignRequest(regions=2))

    # Then
    report = validate_files(written)
    assert report.errors == 0, [f.as_text() for f in report.findings]
    assert report.bundle is not None
    assert {r.code for r in report.bundle.regions.regions} == {r.code for r in design.regions}


def test_proposal_files__flow_style_region_list__yaml_edit_error_where() -> None:
    # Given regions written as one flow list
    files = east_coast().with_file("regions.yaml", (
        'regions: [{code: NE, name: Northeast, zones: ["010-149"], facilities: [FC-EWR4, '
        'FC-BOS7, SC-EWR2, DS-EWR9, DS-BOS1, DS-NYC3]}, {code: MA, name: Mid-Atlantic, '
        'zones: ["150-219"], facilities: [FC-BWI2, SC-BWI5, DS-PHL5, DS-BWI8, DS-DCA1]}, '
        '{code: SE, name: Southeast, zones: ["270-319"], facilities: [FC-ATL6, SC-ATL3, '
        'DS-ATL2, DS-CLT4]}]\n'))
    assert validate_files(files).errors == 0

    # When / Then
    with pytest.raises(YamlEditError, match="block list"):
        _design(files, DesignRequest(regions=4))


def test_proposal_files__simulated__same_as_the_design_bundle_routing() -> None:
    # Given a written proposal
    files = east_coast()
    _, written = _design(files, DesignRequest(regions=3, contiguous=True))
    report = validate_files(written)
    assert report.bundle is not None

    # When simulated twice from the files
    first = simulate(report.bundle).as_dict()
    again = simulate(validate_files(written).bundle).as_dict()  # type: ignore[arg-type]

    # Then: deterministic (what a saved version will show)
    assert first == again
