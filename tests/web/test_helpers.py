"""The external-URL detector used by every page test must itself catch what it is for."""

from __future__ import annotations

import pytest

from tests.web.helpers import external_references


@pytest.mark.parametrize("html", [
    '<script src="https://cdn.example.com/x.js"></script>',
    "<link rel=stylesheet href='//fonts.example.com/a.css'>",
    '<img src = "http://tiles.example.org/1/2/3.png">',
    '<div style="background: url(https://example.com/a.png)">',
    "<style>@import 'https://example.com/x.css';</style>",
    '<form action="https://evil.example/post">',
])
def test_external_references__absolute_url_in_a_fetching_attribute__is_found(html: str) -> None:
    assert external_references(html)


@pytest.mark.parametrize("html", [
    '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    '<a href="/versions/abc/">x</a>',
    '<script src="/static/rollout/js/app.js"></script>',
    "<p>see https://example.com in the docs</p>",
])
def test_external_references__local_or_non_fetching__is_not_found(html: str) -> None:
    assert external_references(html) == []
