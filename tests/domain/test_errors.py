"""The one error model (rollout.domain.errors): a refusal carries its kind, its message, and the
findings and details its answers show; the domain's own refusals are of the family."""

from __future__ import annotations

import pytest

from rollout.domain.bundle import BundleReadError
from rollout.domain.demand import DemandError, OrdersError
from rollout.domain.errors import ErrorKind, NotFoundError, RolloutError
from rollout.domain.findings import Finding
from rollout.domain.lifecycle import Action, State, TransitionRefused
from rollout.domain.yamledit import YamlEditError


def a_finding() -> Finding:
    return Finding(code="E110", message="unknown facility 'XX1'",
                   file="network.yaml", line=3, column=7)


def test_rollout_error__message_and_findings__carried() -> None:
    error = RolloutError("cannot do that", [a_finding()])

    assert str(error) == "cannot do that"
    assert error.findings == [a_finding()]
    assert error.details() == {}


def test_rollout_error__no_findings__an_empty_list() -> None:
    assert RolloutError("no").findings == []


def test_not_found_error__is_a_lookup_error_of_kind_not_found() -> None:
    error = NotFoundError("no such thing")

    assert isinstance(error, LookupError)
    assert error.kind is ErrorKind.NOT_FOUND


def test_transition_refused__details__state_and_action() -> None:
    error = TransitionRefused(Action.START, State.DRAFT)

    assert error.kind is ErrorKind.CONFLICT
    assert error.details() == {"state": "draft", "action": "start"}
    assert str(error).startswith("cannot start a rollout that is draft")


@pytest.mark.parametrize(("error", "kind", "builtin"), [
    (BundleReadError("x: no such file or directory"), ErrorKind.UNUSABLE, Exception),
    (OrdersError("row 2: no zone"), ErrorKind.INVALID, ValueError),
    (DemandError("demand.zipf: over 3"), ErrorKind.INVALID, ValueError),
    (YamlEditError("no region 'XX'", file="regions.yaml", line=4, column=2),
     ErrorKind.INVALID, ValueError),
])
def test_domain_refusals__of_the_family__with_their_kind_and_old_base(
        error: RolloutError, kind: ErrorKind, builtin: type[Exception]) -> None:
    # the old built-in bases stay, so an `except ValueError` written before still catches them
    assert isinstance(error, RolloutError) and isinstance(error, builtin)
    assert error.kind is kind


def test_yaml_edit_error__message__keeps_file_line_column() -> None:
    error = YamlEditError("no region 'XX'", file="regions.yaml", line=4, column=2)

    assert str(error) == "regions.yaml:4:2: no region 'XX'"
    assert (error.file, error.line, error.column) == ("regions.yaml", 4, 2)
