"""The first click counts: on a freshly started server, Play pressed the moment the page loads
(while the first session is still being created) starts training once the session exists."""

from __future__ import annotations

from servers import free_port, start_server, stop_server

from .conftest import VIEWPORT, watched_page
from .helpers import tid, wait_iteration


def test_play_pressed_before_the_session_exists_starts_training(browser):
    port = free_port()
    proc = start_server(port)
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = watched_page(context)
        page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        page.wait_for_function("() => window.gandojo !== undefined", timeout=20_000)
        assert page.evaluate("() => window.gandojo.session.id") is None  # no session yet
        page.click(tid("play-button"))
        assert page.get_attribute(tid("play-button"), "aria-pressed") == "true"
        assert "Starting" in page.text_content(tid("status-message"))  # says it is starting
        wait_iteration(page, ">", 20, timeout=60_000)
        assert page.get_attribute(tid("play-button"), "aria-pressed") == "true"
        page.wait_for_function(f"() => document.querySelector('{tid('play-button')}').dataset.confirmed === 'true'")
        assert page.errors == []
    finally:
        context.close()
        stop_server(proc)
