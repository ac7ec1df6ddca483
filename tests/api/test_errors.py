"""The one error model's mappings (STYLE rule 14): every refusal class maps to exactly one HTTP
status (rollout.api.errors), one command exit status (rollout.management.output) and one page
status and sentence (rollout.web.errors), and the API answers them all with one handler and
the bodies of DESIGN section 7."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import rollout
from rollout.api import api
from rollout.api.errors import HTTP_STATUS, error_body, http_status
from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.findings import Finding
from rollout.domain.lifecycle import Action, State, TransitionRefused
from rollout.management.output import EXIT_STATUS, command_error, exit_status
from rollout.services.freezes import FreezeNotFound
from rollout.services.plans import FourEyesViolation, PlanRejected, RolloutRefused
from rollout.web.errors import PAGE_STATUS, page_message, page_status

#: Every refusal class and its (HTTP status, exit status): the statuses the API and the commands
#: gave before the error model, pinned. A new class must be added here, with its answers.
EXPECTED: dict[str, tuple[int, int]] = {
    "NotFoundError": (404, 2),
    "VersionNotFound": (404, 2),
    "RolloutNotFound": (404, 2),
    "SimulationJobNotFound": (404, 2),
    "NoRouteTable": (404, 2),
    "NotFound": (404, 2),
    "FreezeNotFound": (404, 2),  # was a RolloutRefused (409): a missing window is not found
    "TransitionRefused": (409, 1),
    "RolloutRefused": (409, 1),
    "ActivationRefused": (409, 1),
    "SimulationRefused": (409, 1),
    "UserExists": (409, 1),
    "RoleRequired": (403, 1),
    "FourEyesViolation": (403, 1),
    "TokenForbidden": (403, 1),
    "PlanRejected": (422, 1),
    "ReasonRejected": (422, 1),  # a blank, too long or unstorable written reason (was 409)
    "WebhookRefused": (422, 1),
    "KpiValidationError": (422, 1),
    "OrdersError": (422, 1),
    "DemandError": (422, 1),
    "YamlEditError": (422, 1),
    "VersionRejected": (400, 1),
    "TokenRefused": (400, 2),
    "UserRefused": (400, 2),
    "BundleReadError": (400, 2),
    "InstantRefused": (400, 2),  # a time that cannot be asked about (issue 15: ?at=, --at)
    "GitImportRefused": (400, 2),  # a repository, ref or path that cannot be imported
    "GitImportForbidden": (403, 1),  # a repository RRM_GIT_IMPORT_ALLOWED does not name
    "RateLimited": (429, 1),
    "DesignError": (400, 2),  # region design arguments no network can use (issue 14)
    "DesignRefused": (422, 1),  # a design proposal whose files have check errors
    "DesignJobNotFound": (404, 2),
    "DesignJobNotDone": (409, 1),  # saving a design job that is not done
    "JobLimit": (429, 1),  # a user with too many background jobs pending or running
    "DesignJobLimit": (429, 1),  # a user with too many design jobs pending or running
    "SimulationJobLimit": (429, 1),  # a user with too many simulation jobs pending or running
}


def refusal_classes() -> dict[str, type[RolloutError]]:
    """Every subclass of RolloutError the app defines (all of its modules imported)."""
    for module in pkgutil.walk_packages(rollout.__path__, "rollout."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: dict[str, type[RolloutError]] = {}
    todo = list(RolloutError.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("rollout."):
            found[cls.__name__] = cls
    return found


def test_refusal_classes__each__one_kind_one_http_status_one_exit_status() -> None:
    classes = refusal_classes()

    assert sorted(classes) == sorted(EXPECTED)
    for name, cls in classes.items():
        assert isinstance(cls.kind, ErrorKind), name
        assert (HTTP_STATUS[cls.kind], EXIT_STATUS[cls.kind]) == EXPECTED[name], name


@pytest.mark.parametrize("table", [HTTP_STATUS, EXIT_STATUS, PAGE_STATUS])
def test_mappings__every_kind__mapped(table: dict[ErrorKind, int]) -> None:
    assert set(table) == set(ErrorKind)


def test_page_status__every_kind__the_api_status() -> None:
    # a page's JSON answer to a script says what the API would
    assert PAGE_STATUS == HTTP_STATUS


def test_ninja_api__one_handler__for_the_base_class_only() -> None:
    handled = {cls for cls in api._exception_handlers if isinstance(cls, type)
               and issubclass(cls, RolloutError)}

    assert handled == {RolloutError}


def test_freeze_not_found__answers__404_exit_2() -> None:
    error = FreezeNotFound("there is no freeze window 999")

    assert http_status(error) == 404 and page_status(error) == 404
    assert exit_status(error) == 2
    assert error_body(error) == {"detail": "there is no freeze window 999"}


def test_error_body__refusal_of_a_check__lists_findings_even_none() -> None:
    assert error_body(RolloutRefused("the plan changed")) == {"detail": "the plan changed",
                                                              "findings": []}


def test_error_body__findings__capped_with_counts() -> None:
    findings = [Finding(code="E141", message=f"no path {n}", file="routes.yaml", line=n)
                for n in range(1, 9)]

    body = error_body(PlanRejected("the plan check failed", findings))

    assert body["detail"] == "the plan check failed"
    assert body["errors"] == 8 and body["warnings"] == 0
    assert len(body["findings"]) < 8  # type: ignore[arg-type]  # a list of dicts


def test_error_body__four_eyes__no_findings_key() -> None:
    error = FourEyesViolation("four eyes: the approver must not be the rollout's creator")

    assert http_status(error) == 403
    assert error_body(error) == {"detail": str(error)}


def test_error_body__transition_refused__state_and_action() -> None:
    error = TransitionRefused(Action.PAUSE, State.DRAFT)

    assert http_status(error) == 409
    assert error_body(error) == {"detail": str(error), "state": "draft", "action": "pause"}


def test_command_error__message_and_status_of_the_kind() -> None:
    error = command_error(FourEyesViolation("four eyes"))

    assert str(error) == "four eyes" and error.returncode == 1


@pytest.mark.parametrize(("message", "sentence"), [
    ("there is no freeze window 999", "There is no freeze window 999."),
    ("already a sentence.", "Already a sentence."),
])
def test_page_message__message__a_sentence(message: str, sentence: str) -> None:
    assert page_message(RolloutRefused(message)) == sentence
