"""Refusals on pages: the one mapping of an error's kind to the status a page answers with, and
the sentence it shows (STYLE rule 14). The statuses are the API's (DESIGN section 7), so a
script reading a page's JSON answer sees what it would see from the API."""

from __future__ import annotations

from rollout.domain.errors import ErrorKind, RolloutError

#: The status of a page (or of its JSON answer to a script) that refuses, by the error's kind.
PAGE_STATUS: dict[ErrorKind, int] = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.INVALID: 422,
    ErrorKind.MALFORMED: 400,
    ErrorKind.UNUSABLE: 400,
    ErrorKind.RATE_LIMITED: 429,
}


def page_status(error: RolloutError) -> int:
    """The status a page answers `error` with: its kind's."""
    return PAGE_STATUS[error.kind]


def page_message(error: RolloutError) -> str:
    """`error`'s message as a sentence for a page: capitalised, ending with a full stop."""
    text = str(error)
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."
