"""GET /api/v1/route in front of the middleware (rollout/api/route_wsgi.py): every request gets
exactly what Django would answer, the hot case from the fast path, everything else from Django.

These drive the WSGI applications themselves (the test client has its own handler). They use
transactional tests because a WSGI request looks after its database connection as Django's
handler does (it may close it), which a test wrapped in one transaction would not survive."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory

from rollout.api.route_wsgi import RouteFastPath
from tests.api.helpers import Tokens
from tests.rollout_factories import People, make_live, original_version

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Answer:
    status: str
    headers: dict[str, str]
    body: bytes


class Recording:
    """A WSGI application in front of Django's that counts the requests Django answered."""

    def __init__(self) -> None:
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        return self.django(environ, start_response)


def call(app: Any, method: str, path: str, data: dict[str, str] | None = None,
         **extra: str) -> Answer:
    """One request through `app`, with a fixed X-Request-ID unless given (so that answers of
    both ways can be compared whole)."""
    extra.setdefault("HTTP_X_REQUEST_ID", "test-request")
    environ = getattr(RequestFactory(), method.lower())(path, data or {}, **extra).environ
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> None:
        seen.update(status=status, headers={name.lower(): value for name, value in headers})

    chunks = app(dict(environ), start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # as a WSGI server does: Django sends request_finished then
    return Answer(seen["status"], seen["headers"], body)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def live() -> None:
    make_live(original_version(), ["NE", "MA"])


def test_get_route__token_and_live_zone__fast_path_answers_as_django_does(
        live: None, tokens: Tokens, who: People) -> None:
    # Given the fast path in front of Django, after its first answer (served by Django)
    django = Recording()
    app = RouteFastPath(django)
    first = call(app, "GET", "/api/v1/route", {"zone": "070"}, **bearer(tokens.viewer))
    assert django.calls == 1

    # When the same and another live zone are asked again
    again = call(app, "GET", "/api/v1/route", {"zone": "070"}, **bearer(tokens.viewer))
    other = call(app, "GET", "/api/v1/route", {"zone": "212"}, **bearer(tokens.viewer))

    # Then Django is not asked again, and the answers are Django's: status, headers, body
    assert django.calls == 1
    assert again == first
    from_django = call(WSGIHandler(), "GET", "/api/v1/route", {"zone": "212"},
                       **bearer(tokens.viewer))
    assert other == from_django
    assert other.status == "200 OK" and b'"region":"MA"' in other.body
    assert {"content-security-policy", "x-frame-options",
            "x-content-type-options"} <= set(other.headers)


@pytest.mark.parametrize(("method", "query", "auth", "status"), [
    ("GET", {"zone": "282"}, "viewer", "404"),            # region not live
    ("GET", {"zone": "999"}, "viewer", "404"),            # unknown zone
    ("GET", {}, "viewer", "422"),                         # no zone
    ("GET", {"zone": "070", "x": "1"}, "viewer", "200"),  # another parameter: Django decides
    ("GET", {"zone": "070"}, "bad", "401"),               # a token that does not authenticate
    ("GET", {"zone": "070"}, None, "401"),                # no credentials
    ("POST", {}, "viewer", "400"),                        # POST goes to the ninja view
], ids=["not live", "unknown", "no zone", "extra parameter", "bad token", "anonymous", "post"])
def test_get_route__anything_but_the_hot_case__answered_by_django(
        live: None, tokens: Tokens, who: People, method: str, query: dict[str, str],
        auth: str | None, status: str) -> None:
    # Given the fast path warmed up by one answer
    django = Recording()
    app = RouteFastPath(django)
    call(app, "GET", "/api/v1/route", {"zone": "070"}, **bearer(tokens.viewer))
    extra = {} if auth is None else bearer("rrm_nope_nope" if auth == "bad" else tokens.viewer)

    # When a request outside the hot case comes
    answer = call(app, method, "/api/v1/route", query, **extra)

    # Then Django answered it, and the same as it does alone
    assert django.calls == 2
    assert answer.status.startswith(status)
    assert answer == call(WSGIHandler(), method, "/api/v1/route", query, **extra)


def test_get_route__host_not_allowed__django_refuses_it(live: None, tokens: Tokens,
                                                        who: People, settings: Any) -> None:
    # Given a warm fast path and a Host that ALLOWED_HOSTS does not accept
    settings.ALLOWED_HOSTS = ["rrm.example"]
    app = RouteFastPath(WSGIHandler())
    call(app, "GET", "/api/v1/route", {"zone": "070"}, HTTP_HOST="rrm.example",
         **bearer(tokens.viewer))

    # When a request names another host
    answer = call(app, "GET", "/api/v1/route", {"zone": "070"}, HTTP_HOST="evil.example",
                  **bearer(tokens.viewer))

    # Then it is refused as Django refuses it, not answered
    assert answer.status.startswith("400")


def test_get_route__after_a_rollback__fast_path_answers_the_new_state(
        live: None, tokens: Tokens, who: People) -> None:
    # Given a warm fast path answering zone 212 from MA
    from rollout.services.activations import region_rollback
    from rollout.services.live import live_state_forget

    app = RouteFastPath(WSGIHandler())
    call(app, "GET", "/api/v1/route", {"zone": "212"}, **bearer(tokens.viewer))
    assert call(app, "GET", "/api/v1/route", {"zone": "212"},
                **bearer(tokens.viewer)).status == "200 OK"

    # When MA is taken out of service
    region_rollback(region="MA", version=None, actor=who.operator, reason="test")
    live_state_forget()

    # Then the zone is no longer answered
    assert call(app, "GET", "/api/v1/route", {"zone": "212"},
                **bearer(tokens.viewer)).status.startswith("404")


def test_get_route__fast_path_answers__each_its_own_request_id(live: None, tokens: Tokens,
                                                               who: People) -> None:
    # Given a warm fast path (Django's first answer carried its own request id)
    app = RouteFastPath(WSGIHandler())
    call(app, "GET", "/api/v1/route", {"zone": "070"}, HTTP_X_REQUEST_ID="first",
         **bearer(tokens.viewer))

    # When answered from the fast path with a client's id, with none, and with a bad one
    given = call(app, "GET", "/api/v1/route", {"zone": "070"}, HTTP_X_REQUEST_ID="req-7",
                 **bearer(tokens.viewer))
    fresh = [call(app, "GET", "/api/v1/route", {"zone": "070"}, HTTP_X_REQUEST_ID=bad,
                  **bearer(tokens.viewer)) for bad in ("", "no spaces please")]

    # Then the client's id comes back, else a new one each time: never the learned one
    assert given.headers["x-request-id"] == "req-7"
    ids = [answer.headers["x-request-id"] for answer in fresh]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == 2 and "first" not in ids
