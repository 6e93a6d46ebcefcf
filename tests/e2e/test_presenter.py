"""Classroom features in Chromium: a viewer link opens a live read-only page, the presenter sees the
count and has a projector view; a password-protected server is usable after the login form."""

from __future__ import annotations

import time

import pytest

from .conftest import VIEWPORT, watched_page
from .helpers import iteration, open_page, session_info, set_running, tid, wait_iteration

# controls a viewer page must not be able to use (layer toggles and the timeline only change that page)
ENABLED_CONTROLS = """() => [...document.querySelectorAll(
    '.topbar button, .topbar input, .topbar select, .toolbar button, .toolbar input, '
    + '.panel.left button, .panel.left input, .panel.left select, .drs-row input')]
  .filter((el) => !el.disabled && el.dataset.testid !== 'presenter-toggle')
  .map((el) => el.dataset.testid || el.outerHTML.slice(0, 60))"""


@pytest.fixture(scope="module")
def presenter(browser, server):
    context = browser.new_context(viewport=VIEWPORT)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    p = watched_page(context)
    open_page(p, server)
    yield p
    context.close()


@pytest.fixture
def viewer_context(browser):
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


def viewer_count(page) -> int:
    return int(page.text_content(tid("viewer-count")))


def test_viewer_link_shows_live_frames_and_no_working_controls(presenter, viewer_context, server):
    assert viewer_count(presenter) == 0
    presenter.click(tid("share-viewer-link"))
    url = presenter.get_attribute(tid("share-viewer-link"), "data-url")
    sid = presenter.evaluate("() => window.gandojo.session.id")
    assert url.startswith(server + "/?session=" + sid + "&view=")
    presenter.wait_for_selector(tid("viewer-link-text"), state="visible")
    assert presenter.text_content(tid("viewer-link-text")) == url
    assert presenter.evaluate("() => navigator.clipboard.readText()") == url

    viewer = watched_page(viewer_context)
    viewer.goto(url)
    viewer.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=20_000)
    assert viewer.is_visible(tid("viewer-badge")) and not viewer.is_visible(tid("play-button"))
    assert viewer.evaluate(ENABLED_CONTROLS) == []
    presenter.wait_for_function(f"() => document.querySelector('{tid('viewer-count')}').textContent === '1'")
    assert viewer.evaluate("() => window.gandojo.session.id") == sid  # watching, not a session of its own

    set_running(presenter, True)
    start, frames = iteration(viewer), viewer.evaluate("() => window.gandojo.frames")
    wait_iteration(viewer, ">", start + 20)
    viewer.wait_for_function("(n) => window.gandojo.frames > n + 10", arg=frames)  # frames keep coming

    viewer.keyboard.press("Space")  # the play/pause shortcut and direct commands go nowhere
    viewer.evaluate("() => { window.gandojo.send({cmd: 'pause'}); window.gandojo.send({cmd: 'reset'}); }")
    time.sleep(0.5)
    info = session_info(presenter, server, sid)
    assert info["running"] is True and info["iteration"] > start
    assert "view=" in viewer.url and "session=" in viewer.url  # the URL still opens the viewer
    assert viewer.errors == []
    set_running(presenter, False)
    viewer.close()
    presenter.wait_for_function(f"() => document.querySelector('{tid('viewer-count')}').textContent === '0'")
    assert presenter.errors == []


def plot_width(page) -> float:
    return page.evaluate(f"() => document.querySelector('{tid('plot-distribution')}')"
                         ".getBoundingClientRect().width")


def test_presenter_view_toggles(presenter, server):
    toggle = presenter.locator(tid("presenter-toggle"))
    small, counter_font = plot_width(presenter), presenter.evaluate(
        f"() => parseFloat(getComputedStyle(document.querySelector('{tid('d-loss')}')).fontSize)")
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true" and "present=1" in presenter.url
    assert presenter.evaluate("() => document.body.classList.contains('presenter-view')")
    assert not presenter.is_visible(tid("preset-select")) and not presenter.is_visible(tid("draw-toggle"))
    presenter.wait_for_function(f"(w) => document.querySelector('{tid('plot-distribution')}')"
                                ".getBoundingClientRect().width > w * 1.2", arg=small)
    big_font = presenter.evaluate(
        f"() => parseFloat(getComputedStyle(document.querySelector('{tid('d-loss')}')).fontSize)")
    assert big_font >= 1.6 * counter_font  # numbers readable from the back of the room
    assert presenter.is_visible(tid("play-button"))  # the few controls a lecturer needs stay
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false" and "present=1" not in presenter.url
    presenter.wait_for_function(f"(w) => document.querySelector('{tid('plot-distribution')}')"
                                ".getBoundingClientRect().width < w * 1.05", arg=small)
    assert presenter.is_visible(tid("preset-select"))


def test_present_in_the_url_opens_the_presenter_view(viewer_context, server):
    page = watched_page(viewer_context)
    open_page(page, server, "present=1")
    assert page.evaluate("() => document.body.classList.contains('presenter-view')")
    assert page.get_attribute(tid("presenter-toggle"), "aria-pressed") == "true"
    assert page.errors == []


def test_login_form_opens_a_password_protected_server(make_server, viewer_context):
    base = make_server("--auth", "open sesame")
    page = watched_page(viewer_context)
    page.goto(base + "/?dataset=ring&seed=4")
    assert "/login" in page.url  # sent to the form first
    page.fill(tid("login-password"), "wrong")
    page.click(tid("login-submit"))
    assert page.is_visible("text=Wrong password.")
    page.fill(tid("login-password"), "open sesame")
    page.click(tid("login-submit"))
    page.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=20_000)
    assert "dataset=ring" in page.url  # back where the link pointed, REST and websocket working
    page.click(tid("step-button"))
    wait_iteration(page, ">=", 1)
    page.errors[:] = [e for e in page.errors if "401" not in e]  # the wrong password's answer
    assert page.errors == []
