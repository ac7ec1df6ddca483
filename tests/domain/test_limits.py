"""How large a network a stored version may describe (rollout.domain.limits): E103 at the list
that is too long, counted even when the schema fails, and no graph checks on such a network."""

from __future__ import annotations

from rollout.domain.bundle import parse_bundle
from rollout.domain.validate import validate_files
from tests.factories import east_coast_files

# The east-coast example: 11 zones, 15 facilities; network.yaml has `facilities:` on line 4 and
# `zones:` on line 42.


def test_validate_files__more_zones_than_the_limit__e103_at_the_zones_key() -> None:
    # Given the example (11 zones) and a limit of 10
    # When it is validated with the limits
    report = validate_files(east_coast_files(), max_zones=10, max_facilities=100)

    # Then one E103 says how many and the limit, at network.yaml's `zones:` key
    [finding] = [f for f in report.findings if f.code == "E103"]
    assert finding.severity == "error"
    assert finding.message == "the network has 11 zones; a version may have at most 10"
    assert (finding.file, finding.line, finding.column) == ("network.yaml", 42, 1)
    assert "RRM_MAX_ZONES" in (finding.hint or "")
    assert not report.valid


def test_validate_files__more_facilities_than_the_limit__e103_and_no_graph_checks() -> None:
    # Given the example with a broken station (an E110 from the graph checks) and a facility
    # limit of 14
    files = east_coast_files(network=("station: DS-ATL2", "station: DS-NOPE"))

    # When it is validated with the limits
    report = validate_files(files, max_zones=100, max_facilities=14)

    # Then only the limit is reported: the checks were not run on a network too large
    assert [f.code for f in report.findings] == ["E103"]
    assert report.findings[0].line == 4
    assert report.findings[0].message.startswith("the network has 15 facilities")


def test_validate_files__at_the_limits__no_e103() -> None:
    report = validate_files(east_coast_files(), max_zones=11, max_facilities=15)

    assert report.valid and not [f for f in report.findings if f.code == "E103"]


def test_validate_files__no_limits_given__never_e103() -> None:
    report = validate_files(east_coast_files())

    assert report.valid


def test_size_findings__schema_fails__still_counted() -> None:
    # Given a bundle whose schema fails (an unknown key in a zone) with 11 zones
    files = east_coast_files(network=("station: DS-ATL2", "station: DS-ATL2, colour: red"))
    assert parse_bundle(files).bundle is None

    # When it is validated with a limit of 10 zones
    report = validate_files(files, max_zones=10, max_facilities=100)

    # Then the limit is reported alongside the schema error
    codes = {f.code for f in report.findings}
    assert {"E101", "E103"} <= codes
