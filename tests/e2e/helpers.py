"""Helpers shared by the end-to-end tests: test-id selectors, the iteration counter, play/pause, fresh pages."""

from __future__ import annotations

import time

DIST = "document.querySelector('[data-testid=plot-distribution]')"
TRACE = "(name) => window.gandojo.widgets.dist.trace(name)"  # a layer of the canvas, as {x, y, visible}


def tid(testid: str) -> str:
    return f"[data-testid={testid}]"


def iteration(page, counter: str = "iteration-counter") -> int:
    return int(page.text_content(tid(counter)).replace(",", ""))


def wait_iteration(page, op: str, n: int, timeout: int = 10_000, counter: str = "iteration-counter") -> None:
    """Wait until the counter satisfies `counter <op> n` (op is a JS comparison)."""
    page.wait_for_function(
        f"""(n) => parseInt(document.querySelector('{tid(counter)}').textContent
                            .replace(/,/g, '')) {op} n""", arg=n, timeout=timeout)


def fake_points(page) -> list:
    return page.evaluate(f"() => {{ const t = ({TRACE})('fake'); return [t.x, t.y]; }}")


def set_running(page, running: bool) -> None:
    """Press play/pause if needed; wait until the button shows it and the server confirmed it."""
    button = page.locator(tid("play-button"))
    if (button.get_attribute("aria-pressed") == "true") != running:
        button.click()
    state = str(running).lower()
    assert button.get_attribute("aria-pressed") == state
    assert button.text_content().strip() == ("Pause" if running else "Play")
    page.wait_for_function(
        f"(r) => document.querySelector('{tid('play-button')}').dataset.confirmed === r", arg=state)


def open_page(page, server: str, query: str = "") -> None:
    """Load the playground at `?query` (the old session ends) and wait for its first frame."""
    page.goto(f"{server}/?{query}")
    page.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=20_000)


def session_info(page, server: str, sid: str | None = None) -> dict:
    """GET /api/sessions/{id} of the page's session (or of `sid`)."""
    sid = sid or page.evaluate("() => window.gandojo.session.id")
    response = page.request.get(f"{server}/api/sessions/{sid}")
    assert response.ok, response.status
    return response.json()


def drop_expected_errors(page, *fragments: str) -> None:
    """Forget console errors the test provoked on purpose (Chromium logs every 4xx fetch)."""
    page.errors[:] = [e for e in page.errors if not any(f in e for f in fragments)]


def wait_session_gone(page, server: str, sid: str, timeout_s: float = 10.0) -> None:
    """Poll GET /api/sessions/{sid} from the test (not the page: its console would log the 404s) until 404."""
    deadline = time.monotonic() + timeout_s
    while page.request.get(f"{server}/api/sessions/{sid}").status != 404:
        assert time.monotonic() < deadline, f"session {sid} still exists after {timeout_s} s"
        time.sleep(0.1)
