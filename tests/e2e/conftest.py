"""Browser tests: Playwright's sync API drives Debian's headless Chromium against pytest-django's live server.

Playwright's own browser download is not used; ``/usr/bin/chromium`` (Debian's ``chromium`` package) is. Without
it these tests skip with the reason, unless ``PSA_REQUIRE_E2E=1`` (set by CI), when they fail instead.
"""

import os
from pathlib import Path

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from such a thread unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("PSA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Navigations that are not pages of ours: the API's JSON, files, and the browser's own blank page.
NOT_A_PAGE = ("/api/v1/", "/static/", "/media/", "/healthz")


def _unavailable(reason: str):
    message = f"{reason}; install Debian's chromium (apt-get install -y chromium) to run the browser tests"
    if os.environ.get("PSA_REQUIRE_E2E") == "1":
        pytest.fail(f"PSA_REQUIRE_E2E=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def chromium():
    """Playwright and Chromium for one test.

    Function-scoped on purpose: while Playwright's sync API is active its event loop counts as running in this
    thread, and Django then keeps database connections in a separate, async-local store. Stopping Playwright after
    each test keeps that from leaking into the database set-up and flush around tests (and into other tests).
    """
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
            # Close the connections the test body opened while the loop was running.
            connections.close_all()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def assert_accessible(page) -> None:
    """axe-core (shipped by axe-playwright-python): no WCAG 2.1 A/AA violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, f"{page.url}:\n{results.generate_report()}"


def _a_page_load(response) -> bool:
    """A top-level GET navigation that showed a page (a re-visit by GET shows the same thing)."""
    request = response.request
    return (
        request.is_navigation_request()
        and request.method == "GET"
        and response.status < 300
        and request.frame.parent_frame is None
    )


def _pages_of_ours(urls: list[str], base: str) -> list[str]:
    seen: dict[str, None] = {}
    for url in urls:
        path = url.removeprefix(base)
        if url.startswith(base) and not path.startswith(NOT_A_PAGE):
            seen.setdefault(url.split("#", 1)[0])
    return list(seen)


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context on the live server.

    Every page a test visits is checked with axe-core once the test is done: each page the test loaded by GET is
    opened again in the same context (so signed in as the test left it) and must have no WCAG 2.1 A/AA violation.
    """
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    visited: list[str] = []
    page.on("response", lambda response: visited.append(response.url) if _a_page_load(response) else None)
    # Every browser test is also a Content-Security-Policy test: the browser reports what the policy blocked.
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    try:
        for url in _pages_of_ours(visited, live_server.url):
            page.goto(url)
            assert_accessible(page)
    finally:
        context.close()
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


def sign_in(page, login: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
