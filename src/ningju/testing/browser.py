"""Shared browser-test fixtures: Debian's Chromium driven by Playwright's sync API at phone size.

Importing this module from a test module skips that module (with a visible reason) when Chromium is not
installed, and fails it instead when ``NINGJU_REQUIRE_BROWSER=1`` (CI installs Chromium). Test modules
import the fixtures by name: ``from ningju.testing.browser import browser, page  # noqa: F401``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    if os.environ.get("NINGJU_REQUIRE_BROWSER") == "1":  # CI installs Chromium: a missing browser is a failure
        raise RuntimeError(f"NINGJU_REQUIRE_BROWSER=1 but Debian Chromium is not installed at {CHROMIUM}")
    pytest.skip(f"Debian Chromium not installed at {CHROMIUM}: browser tests skipped", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from ningju.testing.factories import PASSWORD  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PHONE = {"width": 375, "height": 812}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; Django would otherwise refuse
    # its ORM calls (the world, the live server's database flush) as "async unsafe".
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
    mp.undo()


class Watch:
    """Console errors, uncaught page errors and failed requests of one page."""

    def __init__(self, page: Page):
        self.problems: list[str] = []
        self.expected_errors: set[str] = set()  # URLs we deliberately load with an error status
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, msg):
        if msg.type == "error" and msg.location.get("url") not in self.expected_errors:
            self.problems.append(f"console error: {msg.text} @ {msg.location}")

    def _failed(self, request):
        # ERR_ABORTED is a request cancelled by us (navigating away while, say, the favicon loads, or
        # htmx dropping a superseded search). Blocked ones (ERR_BLOCKED_BY_CSP, ...) are problems.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response):
        if response.status >= 400 and response.url not in self.expected_errors:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def assert_clean(self):
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def page(browser, live_server, transactional_db):
    # Build the URL configuration (every app's API router) before the browser's first request, so that
    # one-time cost is not taken for a slow page.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.watch = Watch(pg)
    yield pg
    context.close()


def login(page: Page, user, password: str = PASSWORD):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.phone)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def assert_no_horizontal_overflow(page: Page, what: str):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what}: page is {width}px wide at a {PHONE['width']}px viewport"


def shot(page: Page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


