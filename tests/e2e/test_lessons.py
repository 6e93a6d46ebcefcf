"""A student in Chromium opens lesson 1 by URL, answers step 1's question (a wrong answer first),
goes to the slow-motion step, presses Step and sees its check tick; the highlighted controls glow.
An image lesson opened by URL switches the page to the image view and runs there."""

from __future__ import annotations

import pytest

from .conftest import VIEWPORT, watched_page
from .helpers import open_page, session_info, tid


@pytest.fixture(scope="module")
def student(browser, server):
    context = browser.new_context(viewport=VIEWPORT)
    p = watched_page(context)
    open_page(p, server, "lesson=ganlab-sheet&step=1")
    yield p
    context.close()


def test_a_student_completes_a_step_and_sees_its_check_tick(student, server) -> None:
    p = student
    try:
        p.wait_for_selector(f'{tid("lesson-step")}[data-step="1"]', timeout=30_000)
    except Exception:  # say what the panel said (a refused setup shows its reason there)
        raise AssertionError(f"step 1 not shown; panel: {p.text_content(tid('lesson-panel'))!r}, "
                             f"errors: {p.errors}") from None
    assert "Where do you see" in p.text_content(tid("lesson-step"))
    assert "lesson-spotlight" in p.get_attribute(tid("plot-distribution"), "class")
    assert "lesson-spotlight" not in (p.get_attribute(tid("slowmo-toggle"), "class") or "")
    assert session_info(p, server)["seed"] == 1  # the step's setup ran on the page's session
    p.click(tid("lesson-option-0"))
    p.wait_for_selector(f'{tid("lesson-explanation")}[data-correct="false"]')
    p.click(tid("lesson-option-1"))
    p.wait_for_selector(f'{tid("lesson-explanation")}[data-correct="true"]')
    assert "KL and JS by grid" in p.text_content(tid("lesson-explanation"))
    p.wait_for_selector(f'{tid("lesson-panel")}[data-done="true"]')

    p.click(tid("lesson-next"))
    p.wait_for_selector(f'{tid("lesson-step")}[data-step="2"]', timeout=30_000)
    p.click(tid("lesson-next"))
    p.wait_for_selector(f'{tid("lesson-step")}[data-step="3"]', timeout=30_000)
    assert "lesson-spotlight" in p.get_attribute(tid("slowmo-toggle"), "class")
    check = tid("lesson-check-stages")
    p.wait_for_selector(f'{check}[data-passed="false"]')
    assert "press Step" in p.text_content(check)  # the hint, while it fails
    assert session_info(p, server)["slowmo"] is True
    p.click(tid("step-button"))
    p.wait_for_selector(f'{check}[data-passed="true"]', timeout=60_000)
    assert "lesson=ganlab-sheet" in p.url or p.evaluate(
        "() => JSON.parse(localStorage.getItem('gandojo.lesson')).step") == 3
    assert not p.errors, p.errors


def test_an_image_lesson_opened_by_url_opens_the_image_view_and_runs_there(browser, server) -> None:
    """`?lesson=mnist-knobs` on a page that starts on a 2D dataset: the page switches to an image
    session (the sample grid shows) and the lesson's step 1 runs on it (its setup applied there);
    a 2D lesson started from the panel then switches it back."""
    context = browser.new_context(viewport=VIEWPORT)
    p = watched_page(context)
    try:
        open_page(p, server, "lesson=mnist-knobs")
        try:
            p.wait_for_selector(f'{tid("lesson-step")}[data-step="1"]', timeout=60_000)
        except Exception:
            raise AssertionError(f"step 1 not shown; panel: {p.text_content(tid('lesson-panel'))!r}, "
                                 f"errors: {p.errors}") from None
        p.wait_for_function("() => document.body.classList.contains('view-image')")
        assert p.locator(tid("sample-grid")).is_visible()
        assert p.locator(tid("plot-distribution")).is_hidden()
        assert "sigmoid" in p.text_content(tid("lesson-step"))
        p.wait_for_selector(f'{tid("lesson-check-sigmoid")}[data-passed="false"]')
        info = session_info(p, server)
        assert info["kind"] == "image" and info["dataset"] == "mnist"
        status = p.request.get(f"{server}/api/sessions/{info['id']}/lesson").json()
        assert status["id"] == "mnist-knobs" and status["step"] == 1
        p.wait_for_function("() => location.search.includes('dataset=mnist') && location.search.includes('lesson=mnist-knobs')")

        p.select_option(tid("lesson-select"), "ganlab-sheet")  # from the panel: a 2D lesson goes back to 2D
        p.click(tid("lesson-start"))
        p.wait_for_function("() => document.body.classList.contains('view-2d')", timeout=30_000)
        p.wait_for_function(f"() => document.querySelector('{tid('lesson-step')}').textContent.includes('Where do you see')",
                            timeout=30_000)
        assert session_info(p, server)["kind"] == "2d" and p.locator(tid("sample-grid")).is_hidden()
        assert not p.errors, p.errors
    finally:
        context.close()
