"""One family of errors (STYLE rule 14): every refusal a service or the domain raises is a
`RolloutError` whose `kind` says what went wrong, so that each adapter maps the kind once: the
API to an HTTP status (`rollout.api.errors`), the commands to an exit status
(`rollout.management.output`), the pages to a status and a message (`rollout.web.errors`).

Pure: no Django here, so the domain raises these too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from rollout.domain.findings import Finding


class ErrorKind(StrEnum):
    """What a refusal means to whoever asked (DESIGN sections 7 and 9)."""

    #: the request names something that does not exist (404; commands: unusable argument, 2)
    NOT_FOUND = "not_found"
    #: the state (the rollout state machine, the live network, what exists) does not allow it
    #: now (409; commands: refused, 1)
    CONFLICT = "conflict"
    #: the acting user may not (403; commands: refused, 1)
    FORBIDDEN = "forbidden"
    #: a check refuses the input, often with findings at file:line:column (422; commands: 1)
    INVALID = "invalid"
    #: the input cannot be read as what it claims to be at all: files that are not text,
    #: unusable file names, an empty message (400; commands: refused by a check, 1)
    MALFORMED = "malformed"
    #: arguments no request can use: an unknown role, a path with no bundle, a bad expiry
    #: (400; commands: unusable arguments, 2)
    UNUSABLE = "unusable"
    #: too many requests; try again later (429)
    RATE_LIMITED = "rate_limited"


#: The one mapping of an error's kind to the HTTP status that answers it: the API's
#: (`rollout.api.errors`) and the pages' (`rollout.web.errors`), so a script reading a page's
#: JSON answer sees what it would see from the API (DESIGN section 7).
HTTP_STATUS: dict[ErrorKind, int] = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.INVALID: 422,
    ErrorKind.MALFORMED: 400,
    ErrorKind.UNUSABLE: 400,
    ErrorKind.RATE_LIMITED: 429,
}


class RolloutError(Exception):
    """A refusal with a kind, a message (`str(error)`) and, for some, findings.

    Subclasses set `kind`; those whose answers list their findings (even none) set
    `shows_findings`. `details()` holds any other fields an answer carries beside the message.
    """

    kind: ClassVar[ErrorKind] = ErrorKind.CONFLICT
    #: whether an answer lists `findings` (an empty list too): the refusals of checks do
    shows_findings: ClassVar[bool] = False

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings: list[Finding] = findings or []

    def details(self) -> dict[str, object]:
        """Fields an answer carries beside `detail` and `findings` (none by default)."""
        return {}


class NotFoundError(RolloutError, LookupError):
    """Something the request names does not exist (a LookupError too, as these always were)."""

    kind = ErrorKind.NOT_FOUND
