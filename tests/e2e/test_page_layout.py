"""The page a class sees, in Chromium at 1366×768: it fits (no horizontal scroll), the status line
shows a long message whole, the frame on screen is the iteration the counter shows, Run N stops at
exactly N, Pause in slow motion holds the stage, a viewer is counted within a second and gets the
charts' history from iteration 0."""

from __future__ import annotations

import time

import pytest

from .conftest import VIEWPORT, watched_page
from .helpers import iteration, open_page, session_info, set_running, tid, wait_iteration

MESSAGE_120 = ("Paused: D loss became nan at iteration 1234: training diverged; lower the learning "
               "rate or reset the session now, please")


@pytest.fixture(scope="module", autouse=True)
def default_page(page, server):
    """A session of its own from iteration 0 (earlier modules may have loaded one at 2000)."""
    open_page(page, server)
    yield
    set_running(page, False)


def test_the_page_fits_1366_without_horizontal_scroll(page):
    over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert over == 0
    right = page.evaluate(f"() => document.querySelector('{tid('presenter-toggle')}').getBoundingClientRect().right")
    assert right <= VIEWPORT["width"]  # the last control of the top bar is on screen


def test_the_status_line_shows_a_120_character_message_whole(page):
    assert len(MESSAGE_120) == 120
    page.evaluate("(m) => window.gandojo.widgets.readouts.error(m)", MESSAGE_120)
    box = page.evaluate(f"""() => {{
        const el = document.querySelector('{tid('status-message')}');
        const r = document.createRange(); r.selectNodeContents(el);
        const rects = [...r.getClientRects()];
        return {{ text: el.textContent, sw: el.scrollWidth, cw: el.clientWidth, sh: el.scrollHeight,
                 ch: el.clientHeight, right: Math.max(...rects.map((q) => q.right)),
                 bottom: Math.max(...rects.map((q) => q.bottom)), lines: rects.length }}; }}""")
    assert box["text"] == MESSAGE_120
    assert box["sw"] <= box["cw"] and box["sh"] <= box["ch"] + 1  # nothing clipped or scrolled away
    assert box["right"] <= VIEWPORT["width"] and box["bottom"] <= VIEWPORT["height"]
    page.evaluate("() => window.gandojo.widgets.readouts.status('Paused')")


def test_the_drawn_frame_is_the_iteration_the_counter_shows(page):
    set_running(page, True)
    wait_iteration(page, ">", iteration(page) + 20, timeout=20_000)
    pairs = []
    for _ in range(15):
        pairs.append(page.evaluate(f"""() => [document.querySelector('{tid('plot-distribution')}').dataset.drawnIteration,
                                          document.querySelector('{tid('iteration-counter')}').textContent]"""))
        time.sleep(0.05)
    set_running(page, False)
    assert all(a == b for a, b in pairs), pairs
    assert len({a for a, _ in pairs}) > 1  # frames went by meanwhile


def test_run_n_stops_at_exactly_n(page, server):
    set_running(page, False)
    start = iteration(page)
    page.fill(tid("run-n-input"), "137")
    page.click(tid("run-n-button"))
    assert page.get_attribute(tid("play-button"), "aria-pressed") == "true"
    page.wait_for_function(f"() => document.querySelector('{tid('play-button')}').dataset.confirmed === 'false'"
                           f" && document.querySelector('{tid('play-button')}').getAttribute('aria-pressed') === 'false'",
                           timeout=30_000)
    wait_iteration(page, "===", start + 137)
    info = session_info(page, server)
    assert info["iteration"] == start + 137 and info["running"] is False
    time.sleep(0.5)
    assert iteration(page) == start + 137


def test_pause_in_slow_motion_holds_the_stage(page):
    page.fill(tid("stage-ms-input"), "300")
    page.press(tid("stage-ms-input"), "Enter")
    page.check(tid("slowmo-toggle"))
    set_running(page, True)
    page.wait_for_function(f"() => document.querySelector('{tid('slowmo-stage')}').textContent !== ''", timeout=15_000)
    assert page.text_content(tid("its-value")) in ("0", "–")  # it/s reads 0 in slow motion
    set_running(page, False)
    time.sleep(0.3)
    stage, it = page.text_content(tid("slowmo-stage")), iteration(page)
    assert stage
    time.sleep(2.2)
    assert page.text_content(tid("slowmo-stage")) == stage and iteration(page) == it
    page.click(tid("step-button"))  # the rest of this iteration, stage by stage
    wait_iteration(page, "===", it + 1, timeout=15_000)
    page.uncheck(tid("slowmo-toggle"))
    page.wait_for_function(f"() => document.querySelector('{tid('slowmo-stage')}').textContent === ''")


def test_a_viewer_is_counted_within_a_second_and_gets_the_history(page, browser, server):
    set_running(page, True)
    wait_iteration(page, ">", iteration(page) + 60, timeout=20_000)
    set_running(page, False)
    page.evaluate(f"""() => {{ window.__viewerSeen = null;
        new MutationObserver(() => {{ if (window.__viewerSeen === null) window.__viewerSeen = Date.now(); }})
          .observe(document.querySelector('{tid('viewer-count')}'), {{ childList: true, characterData: true, subtree: true }}); }}""")
    url = page.get_attribute(tid("share-viewer-link"), "data-url") or page.evaluate(
        f"() => document.querySelector('{tid('share-viewer-link')}').dataset.url")
    assert url
    context = browser.new_context(viewport=VIEWPORT)
    try:
        viewer = watched_page(context)
        viewer.goto(url)
        viewer.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=20_000)
        page.wait_for_function(f"() => document.querySelector('{tid('viewer-count')}').textContent === '1'")
        opened, seen = viewer.evaluate("() => window.gandojo.openedAt"), page.evaluate("() => window.__viewerSeen")
        assert seen - opened < 1000, (opened, seen)
        assert iteration(viewer) == iteration(page)  # the same frame on both
        first = viewer.evaluate(f"""() => new Promise((done) => {{
            const read = () => {{ const d = document.querySelector('{tid('plot-losses')}').data;
                                  if (d && d[0].x.length) done(d[0].x[0]); else setTimeout(read, 100); }}; read(); }})""")
        own = page.evaluate(f"() => document.querySelector('{tid('plot-losses')}').data[0].x[0]")
        # from the beginning, not from the join (the presenter's own chart starts at the first
        # frame it received, which may be an iteration after the history's first point)
        assert first <= own <= 5 < iteration(page) - 50
        assert viewer.errors == []
    finally:
        context.close()
    page.wait_for_function(f"() => document.querySelector('{tid('viewer-count')}').textContent === '0'")
