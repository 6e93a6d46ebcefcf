"""The page against `gandojo serve --workers 2` (sessions in Ray worker processes), in Chromium:
a client cannot tell the mode — it plays and draws frames, compare mode links two sessions, and
when the worker holding its session is killed the page keeps drawing and says it was restored."""

from __future__ import annotations

import os
import signal

import pytest

from servers import wait_for

from .conftest import VIEWPORT, watched_page
from .helpers import iteration, set_running, tid, wait_iteration

pytest.importorskip("ray")
pytestmark = pytest.mark.cluster
SCREENSHOT = "/tmp/gandojo-cluster-page.png"


@pytest.fixture(scope="module")
def cluster_page(browser, make_server):
    base = make_server("--workers", "2", "--checkpoint-interval", "1")
    context = browser.new_context(viewport=VIEWPORT)
    page = watched_page(context)
    page.goto(f"{base}/?dataset=ring8&seed=3")
    page.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=30_000)
    page.base = base
    yield page
    context.close()


def drawn(page) -> int:
    return page.evaluate("() => window.gandojo.frames")


def test_the_page_plays_and_draws_frames_from_a_worker_process(cluster_page):
    page = cluster_page
    sid = page.evaluate("() => window.gandojo.session.id")
    info = page.request.get(f"{page.base}/api/sessions/{sid}").json()
    assert info["worker"].startswith("worker-")
    before = drawn(page)
    set_running(page, True)
    wait_iteration(page, ">=", 300, timeout=30_000)
    set_running(page, False)
    assert drawn(page) - before >= 10  # drawn, not only received
    assert page.errors == []


def test_a_killed_worker_is_invisible_but_for_a_notice(cluster_page):
    page = cluster_page
    sid = page.evaluate("() => window.gandojo.session.id")
    cluster = page.request.get(f"{page.base}/api/cluster").json()
    victim = next(w for w in cluster["workers"] if sid in w["sessions"])
    def checkpointed_now() -> bool:  # the gateway's last autosave holds the paused state
        j = page.request.get(f"{page.base}/api/sessions/{sid}").json()
        return bool(j.get("checkpointed")) and j["checkpointed"]["iteration"] == j["iteration"]
    assert wait_for(checkpointed_now, 15)
    n = iteration(page)
    os.kill(victim["pid"], signal.SIGKILL)
    page.wait_for_function("() => document.body.innerText.includes('restored from iteration')", timeout=30_000)
    before = drawn(page)
    set_running(page, True)
    wait_iteration(page, ">=", n + 100, timeout=30_000)
    set_running(page, False)
    assert drawn(page) > before
    after = page.request.get(f"{page.base}/api/sessions/{sid}").json()
    assert after["worker"] != victim["worker"] and after["restored_from"] == n
    page.screenshot(path=SCREENSHOT)
    assert page.errors == []


def test_compare_mode_works_across_workers(cluster_page):
    page = cluster_page
    page.check(tid("compare-toggle"))
    page.wait_for_function("() => window.gandojo.widgets.compare.b !== null", timeout=20_000)
    # linked (here B first moves to A's worker, so this takes longer than in one process)
    page.wait_for_function("() => document.body.innerText.includes('B follows A')", timeout=20_000)
    set_running(page, True)
    wait_iteration(page, ">=", iteration(page) + 100, timeout=30_000)
    set_running(page, False)
    page.wait_for_function(f"""() => document.querySelector('{tid("iteration-counter-b")}').textContent
                                     === document.querySelector('{tid("iteration-counter")}').textContent""")
    page.uncheck(tid("compare-toggle"))
    assert page.errors == []
