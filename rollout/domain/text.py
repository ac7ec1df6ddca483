"""Free text that is stored in text columns (messages, reasons, names): what cannot be stored.

PostgreSQL refuses a NUL character in text, and no database stores a lone surrogate (it is not
encodable as UTF-8): either would surface as a 500 deep inside a query. Every entry point asks
`text_problem` before storing free text, so bad input is refused with a clear error instead.
"""

from __future__ import annotations


def text_problem(text: str, *, what: str) -> str | None:
    """Why `text` (named `what` in the answer) cannot be stored, or None when it can."""
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
