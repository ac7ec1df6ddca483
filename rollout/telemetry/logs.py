"""Structured JSON logs (`RRM_LOG_FORMAT=json`): one line per event, with what is known of its
context: the request id, the user, the rollout and the region.

The project logs events as `entity.action key=value ...` (STYLE.md rule 12); this formatter
turns such a message into fields (`event`, and every `key=value`), and adds the context that
`log_context` holds for the request or task being served (set by
`rollout.middleware.ObservabilityMiddleware`). A `rollout_id=`/`region=` in the message fills
`rollout`/`region` when the context has none. Text stays the default format.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.utils.functional import empty  # marks a lazy object not yet loaded

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "rrm_log_context", default=None)

_EVENT = re.compile(r"^([a-z_][a-z0-9_]*\.[a-z0-9_.]+)(?:\s|$)")
_PAIR = re.compile(r"(?:^|\s)([a-z_][a-z0-9_]*)=(\"[^\"]*\"|\S+)")
#: fields a message may not overwrite
_RESERVED = frozenset({"time", "level", "logger", "message", "event", "exception"})


def request_id_of(given: str) -> str:
    """A request's id: the client's or proxy's `X-Request-ID` when it is 1-64 characters of
    letters, digits and `._:-`, else a new random one (32 hex digits)."""
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def log_context_get() -> dict[str, Any]:
    """The context of the request or task being served (a copy; empty outside one)."""
    return dict(_context.get() or {})


def log_context_update(**fields: Any) -> None:
    """Add fields to the current context (None values are ignored)."""
    current = _context.get()
    if current is None:
        return
    current.update({k: v for k, v in fields.items() if v is not None})


def log_context_enter(**fields: Any) -> contextvars.Token[dict[str, Any] | None]:
    """Start a context (for code that has no `with` around it: a Celery task's signals);
    `log_context_exit(token)` ends it."""
    return _context.set({k: v for k, v in fields.items() if v is not None})


def log_context_exit(token: contextvars.Token[Any]) -> None:
    # set in another context (a thread pool's): nothing of ours to undo
    with contextlib.suppress(ValueError):
        _context.reset(token)


@contextmanager
def log_context(**fields: Any) -> Iterator[dict[str, Any]]:
    """A context for the logs of the code inside (a request, a task); the dict it yields may
    be filled in later (the user, once authenticated)."""
    values = {k: v for k, v in fields.items() if v is not None}
    token = _context.set(values)
    try:
        yield values
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, event, message, the
    context's fields and the message's `key=value` pairs; `exception` with a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
        }
        event = _EVENT.match(message)
        if event:
            line["event"] = event.group(1)
        line["message"] = message
        context = _context.get() or {}
        for key, known in context.items():
            if not key.startswith("_"):
                line.setdefault(key, known)
        user = _user_of(context.get("_request"))
        if user:
            line.setdefault("user", user)
        for key, raw in _PAIR.findall(message):
            if key in _RESERVED:
                continue
            value: Any = raw[1:-1] if raw.startswith('"') else raw
            line.setdefault(key, value)
            if key == "rollout_id":
                line.setdefault("rollout", value)
            elif key in ("region", "regions", "code"):
                line.setdefault("region", value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _user_of(request: Any) -> str | None:
    """The user name of the request's caller when already known: a token's user, or a session
    user Django has loaded. Never loads it here (a log line must not query the database)."""
    if request is None:
        return None
    auth = getattr(request, "auth", None)
    user = getattr(auth, "user", None)
    if user is None:
        lazy = getattr(request, "user", None)
        wrapped = getattr(lazy, "_wrapped", None)
        user = wrapped if wrapped is not None and wrapped is not empty else None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.get_username())
