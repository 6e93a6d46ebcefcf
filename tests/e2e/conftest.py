"""End-to-end fixtures: one headless Debian Chromium and one loaded playground page per test session."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser():
    """Chromium driven by Playwright (its own browser download does not work here)."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def page(browser, server):
    """The playground at 1366×768, loaded once (plotly.js costs seconds), with its first frame drawn.

    Page errors and console errors are collected in `page.errors` so tests can assert there are none.
    """
    context = browser.new_context(viewport=VIEWPORT)
    p = watched_page(context)
    p.goto(server + "/")
    _wait_first_frame(p)
    yield p
    context.close()


def watched_page(context):
    """A new page of `context` with the default timeout and its errors collected in `page.errors`."""
    p = context.new_page()
    p.set_default_timeout(TIMEOUT_MS)
    p.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)  # loading 4.8 MB of plotly.js on a busy CPU
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(f"pageerror: {e}"))
    p.on("console", lambda m: m.type == "error" and p.errors.append(f"console: {m.text}"))
    return p


def _wait_first_frame(p) -> None:
    p.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=20_000)


@pytest.fixture(scope="session")
def wait_first_frame():
    """wait_first_frame(page): wait until a session exists and at least one frame has been drawn."""
    return _wait_first_frame
