"""Compare mode (two linked sessions side by side) and the timeline slider, on the page against a real server."""

from __future__ import annotations

import pytest

from .helpers import (DIST, TRACE, fake_points, iteration, open_page, session_info, set_running, tid, wait_iteration,
                      wait_session_gone)

COMPARE_SCREENSHOT = "/tmp/gandojo-issue3-compare.png"
B_DIST = "document.querySelector('[data-testid=plot-distribution-b]')"


@pytest.fixture(scope="module")
def compare_page(page, server):
    """The page in compare mode on ring8 (A non-saturating, B minimax), paused at iteration 0."""
    open_page(page, server, "dataset=ring8&seed=5")
    page.check(tid("compare-toggle"))
    page.wait_for_function(f"() => document.body.classList.contains('comparing') && {B_DIST}.data")
    page.wait_for_function("() => window.gandojo.widgets.compare.b !== null")
    return page


def b_session(page) -> dict:
    return page.evaluate("() => window.gandojo.widgets.compare.b")


def test_compare_mode_shows_two_plots_that_advance_together(compare_page, server):
    page = compare_page
    assert page.is_visible(tid("plot-distribution")) and page.is_visible(tid("plot-distribution-b"))
    b = b_session(page)
    a_info, b_info = session_info(page, server), session_info(page, server, b["id"])
    assert a_info["follower"] == b["id"]
    assert (b_info["dataset"], b_info["seed"]) == (a_info["dataset"], a_info["seed"])
    assert {a_info["config"]["loss"], b_info["config"]["loss"]} == {"nonsaturating", "minimax"}
    set_running(page, True)
    wait_iteration(page, ">=", 200, timeout=20_000)
    set_running(page, False)
    page.wait_for_function(f"""() => document.querySelector('{tid("iteration-counter-b")}').textContent
                                     === document.querySelector('{tid("iteration-counter")}').textContent""")
    n = iteration(page)
    assert n >= 200 and iteration(page, "iteration-counter-b") == n
    assert session_info(page, server, b["id"])["iteration"] == n
    # both sessions' metrics on the same charts, B in its own colour
    # charts redraw at most once a second (linechart.js): wait for the draw that follows the last frame
    names_js = f"() => document.querySelector('{tid('plot-metrics')}').data.map((t) => t.name)"
    page.wait_for_function(f"() => ({names_js})().includes('A JS →') && ({names_js})().includes('B JS →')", timeout=5_000)
    assert page.evaluate(f"() => {B_DIST}.layout.xaxis.range[0]") == -1.5
    page.screenshot(path=COMPARE_SCREENSHOT)


def test_b_has_its_own_config_editor(compare_page, server):
    page = compare_page
    page.fill(tid("b-cfg-generator-lr"), "0.02")
    page.press(tid("b-cfg-generator-lr"), "Enter")
    b = b_session(page)
    page.wait_for_function("() => window.gandojo.widgets.compare.config.generator.lr === 0.02")
    assert session_info(page, server, b["id"])["config"]["generator"]["lr"] == 0.02
    assert session_info(page, server)["config"]["generator"]["lr"] == 0.03
    page.select_option(tid("b-cfg-loss"), "lsgan")
    page.wait_for_function("() => window.gandojo.widgets.compare.config.loss === 'lsgan'")
    page.click(tid("reset-button"))  # a reset starts both from iteration 0, still linked
    wait_iteration(page, "===", 0)
    wait_iteration(page, "===", 0, counter="iteration-counter-b")
    page.wait_for_function("() => window.gandojo.state.running === false")
    assert session_info(page, server)["follower"] == b["id"]


def test_single_steps_advance_both_counters_equally(compare_page):
    page = compare_page
    n, m = iteration(page), iteration(page, "iteration-counter-b")
    assert n == m
    for k in range(1, 4):
        page.click(tid("step-button"))
        wait_iteration(page, "===", n + k)
    wait_iteration(page, "===", n + 3, timeout=3_000, counter="iteration-counter-b")


def test_leaving_compare_mode_unlinks_and_ends_b(compare_page, server):
    page = compare_page
    b = b_session(page)
    page.uncheck(tid("compare-toggle"))
    page.wait_for_function("() => !document.body.classList.contains('comparing')")
    wait_session_gone(page, server, b["id"])
    assert session_info(page, server)["follower"] is None
    assert page.is_hidden(tid("plot-distribution-b"))
    # the charts redraw on their next scheduled draw: wait for B's traces to go
    page.wait_for_function(f"() => document.querySelector('{tid('plot-metrics')}').data"
                           ".map((t) => t.name).join('|') === 'KL|JS →'", timeout=5000)


def test_timeline_scrubs_back_while_paused_and_play_returns_to_live(page):
    set_running(page, True)
    wait_iteration(page, ">=", iteration(page) + 150, timeout=20_000)
    set_running(page, False)
    page.wait_for_function("() => window.gandojo.header.running === false")
    slider = page.locator(tid("timeline-slider"))
    page.wait_for_function(f"() => !document.querySelector('{tid('timeline-slider')}').disabled")
    live_iteration, live_fakes = iteration(page), fake_points(page)
    assert int(slider.get_attribute("max")) >= 2
    slider.fill("0")
    page.wait_for_function("(n) => window.gandojo.header.iteration < n", arg=live_iteration)
    assert iteration(page) < live_iteration
    assert fake_points(page)[0] != live_fakes[0]
    assert "history" in page.text_content("#timeline-label")
    page.wait_for_function(f"() => document.querySelector('{tid('plot-losses')}').layout.shapes.filter((s) => s.xref === 'x').length === 1")  # its iteration, marked
    set_running(page, True)  # playing returns to live
    wait_iteration(page, ">", live_iteration)
    assert "live" in page.text_content("#timeline-label")
    assert page.is_disabled(tid("timeline-slider"))
    set_running(page, False)
    # the frame of the pause arrives after the state that says paused: once drawn, plot and counter agree
    page.wait_for_function(f"""() => {DIST}.dataset.drawnIteration === document.querySelector('{tid("iteration-counter")}')
                                     .textContent.replace(/,/g, '')""", timeout=5_000)
    assert page.evaluate(f"() => ({TRACE})('fake').x.length") == 1000
