"""Playwright harness: Debian's Chromium, one browser per session, a fresh context per test.

`make test` installs Chromium through scripts/ensure-system --browser; without it these tests fail,
they never skip, so a missing browser cannot pass unnoticed.

Every context the tests open reports Content-Security-Policy violations (the page's
`securitypolicyviolation` events and Chromium's console errors about the policy), and a test
that caused one fails: a page that needs an inline script or style is broken in production.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from tests import factories as f

from fangkong.accounts.models import User
from fangkong.accounts.selectors import totp_device_of
from fangkong.core.access import two_factor_required

# Playwright's sync API keeps an event loop in the test thread, and Django then refuses ORM
# calls there (SynchronousOnlyOperation). The tests build their data synchronously; allow it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("FANGKONG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# Generous: nothing waits this long when it works, and CI runs two workers and a database on
# two cores, where a full-page screenshot or a first page load can take seconds.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)
CSP_MARK = "[csp-violation]"
REPORT_CSP = f"""document.addEventListener("securitypolicyviolation", (e) => console.error(
  "{CSP_MARK} " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
  " at " + e.sourceFile + ":" + e.lineNumber + " on " + document.location.pathname));"""
csp_violations: list[str] = []


def _report_csp_violations(context: BrowserContext) -> BrowserContext:
    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if CSP_MARK in text or "Content Security Policy" in text:
            csp_violations.append(text)

    context.add_init_script(REPORT_CSP)
    context.on("console", on_console)
    return context


@pytest.fixture(scope="session", autouse=True)
def _urls_imported() -> None:
    """Import every view module before the first page load: the URLconf pulls in NumPy,
    pyarrow, openpyxl and pypinyin (seconds on a loaded machine), which would otherwise
    count against the first `goto`'s timeout inside the live server's thread."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: browser tests need Debian's chromium. "
            "Run `make browser` (scripts/ensure-system --browser) or `apt-get install chromium`.",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    new_context = browser.new_context

    def reporting_context(**options) -> BrowserContext:
        return _report_csp_violations(new_context(**options))

    browser.new_context = reporting_context
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    csp_violations.clear()
    yield
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def browser_page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    """A page in its own context (no cookies from other tests), with `live_server` as base.

    The context looks like a user's browser in 许昌: Chinese first, China time.
    """
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot_path() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def log_in(page: Page, username: str, next_path: str = "", password: str = f.PASSWORD) -> None:
    """Log in on the login page as a person does: username and password (the factories' unless
    given, e.g. a demo account's), then the current code of the account's authenticator when it
    has one (accounts whose role needs two-factor are given one first). Leaves the page wherever
    the site sends them (`next_path`)."""
    user = User.objects.get(username=username)
    device = f.totp_device(user) if two_factor_required(user) else totp_device_of(user)
    page.goto(f"/login/?next={next_path}" if next_path else "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.login button[type=submit]")
    if device is not None:
        expect(page).to_have_url(re.compile(r"/login/verify/"))
        page.fill("#id_code", f.totp_code(device))
        page.click("form.login button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))
