"""A real browser against a live server: Debian's chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium (`apt-get install
chromium`), or the binary named by RRM_CHROMIUM. Without one the browser tests are skipped with
that instruction; `.ci/run` installs it, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SentTask

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


def _new_page(browser: Any, live_server: Any, contexts: list[Any]) -> Any:
    """A page in a browser context of its own, recording in `page.external_requests` every
    request to another host (a defect: the UI must work with no internet)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  base_url=live_server.url)
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    external: list[str] = []
    page.on("request", lambda request: external.append(request.url)
            if not request.url.startswith((live_server.url, "data:", "blob:")) else None)
    page.external_requests = external
    return page


@pytest.fixture
def page_for(browser: Any, live_server: Any) -> Iterator[Any]:
    """page_for(username, password) -> a logged-in page of its own browser context."""
    contexts: list[Any] = []

    def open_as(username: str, password: str) -> Any:
        page = _new_page(browser, live_server, contexts)
        page.goto("/accounts/login/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def anonymous_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A page of its own browser context, not logged in."""
    contexts: list[Any] = []
    yield _new_page(browser, live_server, contexts)
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


@dataclass
class WorkerQueue:
    """The Celery tasks the live server asked for: the test plays the worker and runs them
    (`rollout_advance`) when it wants, so no broker is needed and nothing happens behind its
    back."""

    sent: list[SentTask] = field(default_factory=list)

    def rollout_ids(self) -> list[int]:
        return [int(task.args[0]) for task in self.sent if task.name == "rollout.advance"]


@pytest.fixture
def worker_queue(sent_tasks: list[SentTask]) -> WorkerQueue:
    """Tasks enqueued on commit (a transactional live-server test commits) are recorded here
    instead of being sent to the default file-system broker."""
    return WorkerQueue(sent_tasks)
