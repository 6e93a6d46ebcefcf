"""The playground page against a real server: play/pause, steps, slow motion, datasets, layers, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .helpers import DIST, TRACE, fake_points, iteration, open_page, set_running, tid, wait_iteration

README = Path(__file__).resolve().parents[2] / "README.md"
SCREENSHOT = "/tmp/gandojo-1366.png"
STAGE_NAMES = {
    "sample noise", "G makes fakes", "D classifies real and fake", "D loss", "D gradients",
    "D update", "G sample", "D classifies fakes", "G loss", "G gradients", "G update",
}


@pytest.fixture(scope="module", autouse=True)
def default_page(page, server):
    """These tests start from the page as a visitor first sees it (earlier modules may have changed it)."""
    if page.url.split("?", 1)[-1] != "dataset=gaussians&seed=0" or page.evaluate("() => window.gandojo.state.running"):
        open_page(page, server)


def readme_test_ids() -> list[str]:
    text = README.read_text()
    section = text.split("## Page test ids", 1)[1].split("\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`([a-z0-9_-]+)`", section)


def test_every_readme_test_id_is_on_the_page(page):
    ids = readme_test_ids()
    assert len(ids) >= 55
    missing = [i for i in ids if page.locator(tid(i)).count() == 0]
    assert missing == []
    assert page.get_attribute(tid("slowmo-toggle"), "type") == "checkbox"
    for layer in ("real", "fake", "heatmap", "gradients", "manifold"):
        assert page.get_attribute(tid(f"layer-{layer}"), "type") == "checkbox"


def test_starts_paused_then_play_trains_and_moves_the_fakes(page):
    assert page.get_attribute(tid("play-button"), "aria-pressed") == "false"
    start, before = iteration(page), fake_points(page)
    set_running(page, True)
    wait_iteration(page, ">=", start + 100)
    page.wait_for_function(
        f"(old) => {{ const t = ({TRACE})('fake'); return t.x.some((v, i) => v !== old[0][i]); }}",
        arg=before)
    assert fake_points(page)[0] != before[0]
    page.wait_for_function(f"() => /\\d/.test(document.querySelector('{tid('its-value')}').textContent)")
    assert page.text_content(tid("d-loss")) != "–"


def test_pause_stops_the_counter(page):
    set_running(page, False)
    page.wait_for_function("() => window.gandojo.header.running === false")  # the pause frame
    page.wait_for_timeout(200)  # frames already in flight may still land
    frozen = iteration(page)
    page.wait_for_timeout(600)  # a negative check needs time to pass
    assert iteration(page) == frozen
    page.screenshot(path=SCREENSHOT)


def test_step_buttons_advance_one_iteration_each(page):
    for button in ("step-button", "step-d-button", "step-g-button"):
        n = iteration(page)
        page.click(tid(button))
        wait_iteration(page, "===", n + 1)


def test_reset_returns_to_iteration_zero(page):
    page.click(tid("step-button"))
    wait_iteration(page, ">", 0)
    page.click(tid("reset-button"))
    wait_iteration(page, "===", 0)


def test_slow_motion_names_the_stages(page):
    page.fill(tid("stage-ms-input"), "200")
    page.press(tid("stage-ms-input"), "Enter")
    page.evaluate(f"""() => {{
        window.__stages = new Set();
        const el = document.querySelector('{tid("slowmo-stage")}');
        new MutationObserver(() => el.textContent && window.__stages.add(el.textContent))
            .observe(el, {{childList: true, characterData: true, subtree: true}});
    }}""")
    page.check(tid("slowmo-toggle"))
    set_running(page, True)
    page.wait_for_function("() => window.__stages.size >= 3", timeout=15_000)
    set_running(page, False)
    page.uncheck(tid("slowmo-toggle"))
    page.wait_for_function(f"() => document.querySelector('{tid('slowmo-stage')}').textContent === ''")
    seen = set(page.evaluate("() => [...window.__stages]"))
    assert seen <= STAGE_NAMES, seen - STAGE_NAMES


def test_layer_toggle_hides_and_shows_a_trace(page):
    visible = f"(name) => ({TRACE})(name).visible"
    page.uncheck(tid("layer-real"))
    page.wait_for_function(f"() => ({visible})('real') === false")
    assert page.evaluate(f"() => ({visible})('fake')") is True
    page.check(tid("layer-real"))
    page.wait_for_function(f"() => ({visible})('real') === true")


def test_bad_config_value_shows_the_error_and_the_page_keeps_working(page):
    lr = tid("cfg-discriminator-lr")
    old = page.input_value(lr)
    page.fill(lr, "50")
    page.press(lr, "Enter")
    status = page.locator(tid("status-message"))
    page.wait_for_function(
        f"() => /lr/i.test(document.querySelector('{tid('status-message')}').textContent)")
    assert status.get_attribute("data-kind") == "error"
    page.wait_for_function(f"(v) => document.querySelector('{lr}').value === v", arg=old)
    n = iteration(page)
    page.click(tid("step-button"))
    wait_iteration(page, "===", n + 1)
    page.fill(lr, "0.05")  # a good value is taken and lands in the URL
    page.press(lr, "Enter")
    page.wait_for_function("() => location.search.includes('d_lr=0.05')")


def test_preset_applies_its_config_and_explains_itself(page):
    page.fill(tid("cfg-generator-neurons"), "5")
    page.press(tid("cfg-generator-neurons"), "Enter")
    page.wait_for_function("() => window.gandojo.state.config.generator.neurons === 5")
    page.select_option(tid("preset-select"), "ganlab-default")
    page.wait_for_function(f"() => document.querySelector('{tid('cfg-generator-neurons')}').value === '8'")
    assert page.input_value(tid("preset-select")) == "ganlab-default"
    assert "GAN Lab" in page.text_content(tid("preset-explanation"))
    page.wait_for_function("() => location.search.includes('preset=ganlab-default')")


def test_snapshot_link_serves_a_png(page):
    href = page.get_attribute(tid("snapshot-link"), "href")
    response = page.request.get(page.url.split("/?")[0] + href)
    assert response.ok and response.body()[:8] == b"\x89PNG\r\n\x1a\n"


def test_switching_dataset_changes_the_plane_and_the_mode_count(page):
    page.select_option(tid("dataset-select"), "ring8")
    page.wait_for_function(f"() => {DIST}.layout.xaxis.range[0] === -1.5")
    page.wait_for_function(
        f"() => / \\/ 8$/.test(document.querySelector('{tid('modes-value')}').textContent)")
    assert "dataset=ring8" in page.url
    page.select_option(tid("dataset-select"), "ring")
    page.wait_for_function(f"() => document.querySelector('{tid('modes-value')}').textContent === '–'")
    page.wait_for_function(f"() => {DIST}.layout.xaxis.range[0] === 0")


def test_url_state_is_restored_on_load_and_leaving_ends_the_old_session(page, server, wait_first_frame):
    old_session = page.evaluate("() => window.gandojo.session.id")
    page.goto(server + "/?dataset=disjoint&seed=7&g_lr=0.02&loss=hinge&show_manifold=0")
    wait_first_frame(page)
    assert page.request.get(f"{server}/api/sessions/{old_session}").status == 404
    assert page.input_value(tid("dataset-select")) == "disjoint"
    assert page.input_value(tid("seed-input")) == "7"
    assert page.input_value(tid("cfg-generator-lr")) == "0.02"
    assert page.input_value(tid("cfg-loss")) == "hinge"
    assert not page.is_checked(tid("layer-manifold"))
    page.wait_for_function(f"() => / \\/ 3$/.test(document.querySelector('{tid('modes-value')}').textContent)")


def test_no_page_errors(page):
    assert page.errors == []
