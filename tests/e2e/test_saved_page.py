"""The page's Saved panel in Chromium (save with a name, list, resume into a new session), and a viewer
page of a session that has ended stops reconnecting."""

from __future__ import annotations

import time

import pytest
from servers import free_port, start_server, stop_server

from .conftest import VIEWPORT, watched_page
from .helpers import drop_expected_errors, iteration, open_page, tid, wait_iteration

ROW = "[data-testid=saved-list] li[data-name='{name}']"


@pytest.fixture
def fresh_context(browser):
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


def step(page, times: int) -> int:
    start = iteration(page)
    for _ in range(times):
        page.click(tid("step-button"))
    wait_iteration(page, ">=", start + times)
    return iteration(page)


def test_save_list_and_resume_switch_the_page(fresh_context, server):
    page = watched_page(fresh_context)
    open_page(page, server)
    saved_at = step(page, 3)
    assert saved_at >= 3
    old_id = page.evaluate("() => window.gandojo.session.id")

    page.click(tid("saved-toggle"))  # the Saved menu opens
    page.fill(tid("save-name-input"), "e2e-saved-page")
    page.check(tid("keep-toggle"))
    page.click(tid("save-button"))
    row = page.locator(ROW.format(name="e2e-saved-page"))
    row.wait_for()
    assert row.get_attribute("data-iteration") == str(saved_at)
    assert f"it {saved_at:,}" in row.text_content() and "gaussians" in row.text_content()
    assert page.is_hidden(tid("saved-error"))

    step(page, 2)  # the page moves on; the saved session stays where it was
    assert iteration(page) == saved_at + 2
    row.locator(tid("resume")).click()
    page.wait_for_function("(old) => window.gandojo.session.id && window.gandojo.session.id !== old", arg=old_id)
    wait_iteration(page, "===", saved_at)
    new_id = page.evaluate("() => window.gandojo.session.id")
    assert new_id != old_id
    info = page.request.get(f"{server}/api/sessions/{new_id}").json()
    assert info["iteration"] == saved_at
    assert page.request.get(f"{server}/api/sessions/{old_id}").status == 404  # the old one ended, like Load
    step(page, 1)  # the resumed session is the page's: it steps on from the saved iteration
    assert iteration(page) == saved_at + 1
    assert page.errors == []


def test_a_bad_name_shows_the_servers_detail_next_to_the_control(fresh_context, server):
    page = watched_page(fresh_context)
    open_page(page, server)
    page.click(tid("saved-toggle"))
    page.evaluate(f"() => document.querySelector('{tid('save-name-input')}').value = '-bad name'")
    page.click(tid("save-button"))
    page.wait_for_selector(tid("saved-error"), state="visible")
    text = page.text_content(tid("saved-error"))
    assert text.startswith("Save:") and "name" in text
    drop_expected_errors(page, "422")
    assert page.errors == []


def test_viewer_of_an_ended_session_stops_reconnecting(fresh_context):
    """The server restarts (it forgets its sessions): the viewer says so and stops opening websockets."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port)
    try:
        created = fresh_context.request.post(f"{base}/api/sessions", data={"dataset": "gaussians", "seed": 0}).json()
        sockets = []
        viewer = watched_page(fresh_context)
        viewer.on("websocket", lambda ws: sockets.append(ws.url))
        viewer.goto(base + created["viewer_url"])
        viewer.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=20_000)
        assert viewer.is_hidden("[data-group=saved]") and viewer.is_disabled(tid("save-button"))
        stop_server(proc)
        proc = start_server(port)
        viewer.wait_for_function(f"() => document.querySelector('{tid('status-message')}').textContent"
                                 ".includes(\"presenter's session has ended\")", timeout=30_000)
        attempts = len(sockets)
        assert attempts >= 2  # it did try to reconnect before asking the server
        time.sleep(4)  # the backoff would have retried twice by now (≤ 2 s, then ≤ 4 s)
        assert len(sockets) == attempts
        assert "session has ended" in viewer.text_content(tid("status-message"))
        drop_expected_errors(viewer, "404", "WebSocket", "ERR_CONNECTION_REFUSED")
        assert viewer.errors == []
    finally:
        stop_server(proc)
