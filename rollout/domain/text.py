"""Free text that is stored in text columns (messages, reasons, names): what cannot be stored.

PostgreSQL refuses a NUL character in text, and no database stores a lone surrogate (it is not
encodable as UTF-8): either would surface as a 500 deep inside a query. Every entry point asks
`text_problem` before storing free text, so bad input is refused with a clear error instead.
It also bounds its length (`MAX_TEXT_CHARS`): a reason is copied into an activation per region,
a timeline event, an audit row and every webhook delivery, so its size must not be the
caller's choice.
"""

from __future__ import annotations

from rollout.domain.errors import ErrorKind, RolloutError


class ReasonRejected(RolloutError):
    """A written reason that is blank, too long or not storable: bad input (422)."""

    kind = ErrorKind.INVALID

#: the longest free text stored (messages, reasons); the API's schemas say the same
MAX_TEXT_CHARS = 10_000


def text_problem(text: str, *, what: str) -> str | None:
    """Why `text` (named `what` in the answer) cannot be stored, or None when it can."""
    if len(text) > MAX_TEXT_CHARS:
        return f"{what} has {len(text):,} characters, over the {MAX_TEXT_CHARS:,} allowed"
    if "\x00" in text:
        return (f"{what} contains a NUL character (\\x00 at position "
                f"{text.index(chr(0)) + 1}), which cannot be stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"{what} is not valid Unicode (a lone surrogate at position {exc.start + 1})"
    return None


def reason_problem(reason: str, *, missing: str) -> str | None:
    """Why `reason` is not a usable written reason, or None: blank (answered with `missing`,
    which says what needs one), or text that cannot be stored."""
    if not reason.strip():
        return missing
    return text_problem(reason, what="the reason")


def reason_require(reason: str, *, missing: str) -> None:
    """Raise `ReasonRejected` saying why `reason` is not usable (`reason_problem`)."""
    problem = reason_problem(reason, missing=missing)
    if problem:
        raise ReasonRejected(problem)
