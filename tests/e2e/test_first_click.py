"""The first click counts: on a freshly started server, Play pressed the moment the page loads
(while the first session is still being created) starts training once the session exists, and
the page says meanwhile that it is starting."""

from __future__ import annotations

import httpx

from servers import free_port, start_server, stop_server

from .conftest import VIEWPORT, watched_page
from .helpers import tid, wait_iteration


def test_play_pressed_before_the_session_exists_starts_training(browser):
    port = free_port()
    proc = start_server(port)
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = watched_page(context)
        held = []  # the first session's creation, held back until Play was pressed (it takes seconds
        # on a fresh server; holding it makes the test independent of how fast this machine is)
        page.route("**/api/sessions", lambda route: held.append(route) if route.request.method == "POST"
                   else route.continue_())
        page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        while not held:
            page.wait_for_timeout(50)
        assert page.evaluate("() => window.gandojo.session.id") is None  # no session yet
        assert "Creating session" in page.text_content(tid("status-message"))
        page.select_option(tid("dataset-select"), "ring")  # a dataset chosen first counts too
        page.click(tid("play-button"))
        assert page.get_attribute(tid("play-button"), "aria-pressed") == "true"
        assert "Starting" in page.text_content(tid("status-message"))  # says it is starting
        held[0].continue_()
        page.unroute("**/api/sessions")
        wait_iteration(page, ">", 20, timeout=60_000)
        sid = page.evaluate("() => window.gandojo.session.id")
        info = httpx.get(f"http://127.0.0.1:{port}/api/sessions/{sid}", timeout=10).json()
        assert info["dataset"] == "ring" and info["running"] is True
        assert page.get_attribute(tid("play-button"), "aria-pressed") == "true"
        page.wait_for_function(f"() => document.querySelector('{tid('play-button')}').dataset.confirmed === 'true'")
        assert page.errors == []
    finally:
        context.close()
        stop_server(proc)
