"""A real browser against a live server: Debian's chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium (`apt-get install
chromium`), or the binary named by RRM_CHROMIUM. Without one the browser tests are skipped with
that instruction; `.ci/run` installs it, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("RRM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: flags for a sandboxed CI machine with no outside network: Chromium's own background
#: connections (updates, sync, safe browsing) are refused here and only slow it down.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
#: `RRM_SCREENSHOTS=docs/screenshots make test PYTEST_ARGS=tests/browser` refreshes the README's
#: pictures; without it the screenshots are taken (the page must render) but not written.
SCREENSHOTS = os.environ.get("RRM_SCREENSHOTS")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: `apt-get install chromium` "
                                   "(or set RRM_CHROMIUM) to run the browser tests")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls (set-up,
    # driving the engine) are ordinary synchronous code, so Django's async guard is lifted here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page_for(browser: Any, live_server: Any) -> Iterator[Any]:
    """page_for(username, password) -> a logged-in page of its own browser context."""
    contexts: list[Any] = []

    def open_as(username: str, password: str) -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # Any request to another host is a defect: the UI must work with no internet.
        external: list[str] = []
        page.on("request", lambda request: external.append(request.url)
                if not request.url.startswith((live_server.url, "data:", "blob:")) else None)
        page.external_requests = external
        page.goto("/accounts/login/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> bytes:
    """A screenshot of the page, also saved as RRM_SCREENSHOTS/<name>.png when that is set."""
    image: bytes = page.screenshot(full_page=full_page)
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.png").write_bytes(image)
    return image
