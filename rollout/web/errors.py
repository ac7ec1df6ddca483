"""Refusals on pages: the one mapping of an error's kind to the status a page answers with, and
the sentence it shows (STYLE rule 14). The statuses are the API's (DESIGN section 7), so a
script reading a page's JSON answer sees what it would see from the API."""

from __future__ import annotations

from rollout.domain.errors import HTTP_STATUS, ErrorKind, RolloutError

#: The status of a page (or of its JSON answer to a script) that refuses, by the error's kind:
#: the API's.
PAGE_STATUS: dict[ErrorKind, int] = HTTP_STATUS


def page_status(error: RolloutError) -> int:
    """The status a page answers `error` with: its kind's."""
    return PAGE_STATUS[error.kind]


def page_message(error: RolloutError) -> str:
    """`error`'s message as a sentence for a page: capitalised, ending with a full stop."""
    text = str(error)
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."
