"""Browser tests: the real app served on a loopback port, driven by Playwright in Debian's
headless Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``). Playwright's own browser download
is never used: it cannot work behind an office firewall or in CI here.
"""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


@pytest.fixture(scope="session")
def chromium_path():
    path = _chromium()
    if not path:
        pytest.skip("no Chromium found (install Debian's `chromium` package or set CHROMIUM): "
                    "browser tests skipped")
    return path


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) whose console errors are collected."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def open_menu(page, test_id: str) -> None:
    """Open a Bootstrap dropdown of the top bar. The page must have run the vendored
    Bootstrap script first (it is at the end of the body): a click that lands before it
    does nothing, which under load made menus look broken."""
    from playwright.sync_api import expect

    page.wait_for_load_state("load")
    toggle = page.get_by_test_id(test_id)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")


@pytest.fixture
def new_page(browser):
    """Open more pages, each in its own browser context (own cookies, downloads accepted),
    collecting console errors like the ``page`` fixture."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="en-US", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, base: str, email: str) -> None:
    """Log in through the form (Vietnamese, the default language) with the factories'
    password."""
    from playwright.sync_api import expect

    from tests import factories

    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("account-menu")).to_be_visible()
