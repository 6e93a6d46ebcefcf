"""Mode-collapse lab on the page: a provocation collapses and the alarm sounds; DRS; cures; presets; knobs."""

from __future__ import annotations

import time

import pytest

from .helpers import TRACE, iteration, open_page, session_info, set_running, tid, wait_iteration

ALARM_SCREENSHOT = "/tmp/gandojo-issue3-alarm.png"
NORMAL_SCREENSHOT = "/tmp/gandojo-issue3-normal.png"
# The fastest-collapsing provocation measured here: D takes 10 steps at 10× G's lr. With seed 0 it
# holds one blob of three; the alarm sounds once it has lasted 300 iterations past iteration 500.
PROVOCATION = "disjoint-overpowered-d"  # (ring8's provocations were withdrawn: issue 13)
ALARM_TIMEOUT_MS = 45_000


def test_a_provocation_collapses_and_the_alarm_names_the_cause(page, server):
    open_page(page, server, "dataset=disjoint&seed=0")
    page.select_option(tid("preset-select"), PROVOCATION)
    page.wait_for_function("(p) => window.gandojo.state.config.k_d === 10 && location.search.includes('preset=' + p)",
                           arg=PROVOCATION)
    wait_iteration(page, "===", 0)
    page.wait_for_selector(tid("alarm-banner"), state="hidden")
    assert "Provoke a collapse" in page.text_content(tid("preset-explanation"))
    page.click(tid("chart-tab-collapse"))
    start = time.monotonic()
    set_running(page, True)
    page.wait_for_selector(tid("alarm-banner"), state="visible", timeout=ALARM_TIMEOUT_MS)
    page.screenshot(path=ALARM_SCREENSHOT)
    banner = page.text_content(tid("alarm-banner"))
    assert ("collapse" in banner.lower() or "dropped" in banner.lower()) and "Likely cause:" in banner
    # the readout agrees with the banner: modes missing (with the share-and-spread metric this
    # provocation mostly holds one blob from the start rather than falling from three)
    # (the readout's own text, not only its changes: it is rewritten only when the value changes)
    page.wait_for_function(f"""() => {{
        const m = document.querySelector('{tid("modes-value")}').textContent;
        return /\\d/.test(m) && parseInt(m) < 3;
    }}""",
                           timeout=ALARM_TIMEOUT_MS)
    seconds = time.monotonic() - start
    set_running(page, False)
    assert seconds < ALARM_TIMEOUT_MS / 1000
    modes = page.evaluate(f"() => document.querySelector('{tid('plot-modes')}').data[0].y")
    assert len(modes) >= 2 and modes[-1] < 3 and "Tested cure" in banner


def test_drs_shows_acceptance_and_fades_rejected_fakes(page):
    page.check(tid("drs-toggle"))
    page.wait_for_function(f"() => /accepts \\d+%/.test(document.querySelector('{tid('drs-acceptance')}').textContent)")
    text = page.text_content(tid("drs-acceptance"))
    assert "JS" in text and "→" in text and "modes" in text
    accepted = page.evaluate(f"() => ({TRACE})('fake').x.length")
    rejected = page.evaluate(f"() => ({TRACE})('fake rejected').x.length")
    assert accepted + rejected == 1000 and rejected > 0
    page.wait_for_function("() => location.search.includes('drs=1')")
    page.fill(tid("drs-percentile"), "80")
    page.press(tid("drs-percentile"), "Enter")
    page.wait_for_function("() => window.gandojo.header.drs && window.gandojo.header.drs.percentile === 80")
    page.uncheck(tid("drs-toggle"))
    page.wait_for_function(f"() => document.querySelector('{tid('drs-acceptance')}').textContent === 'off'")
    assert page.evaluate(f"() => ({TRACE})('fake rejected').x.length") == 0


def test_cure_editors_change_the_server_config(page, server):
    page.click(tid("hyper-tab-cures"))
    for testid, value in (("cfg-instance_noise", "0.1"), ("cfg-label_smoothing", "0.2"), ("cfg-pack", "2")):
        page.fill(tid(testid), value)
        page.press(tid(testid), "Enter")
    page.wait_for_function("() => window.gandojo.state.config.pack === 2")
    config = session_info(page, server)["config"]
    assert (config["instance_noise"], config["label_smoothing"], config["pack"]) == (0.1, 0.2, 2)
    assert "inoise=0.1" in page.url and "pack=2" in page.url
    page.fill(tid("cfg-unrolled_steps"), "11")  # over the bound: the server says so, the editor reverts
    page.press(tid("cfg-unrolled_steps"), "Enter")
    page.wait_for_function(f"() => /unrolled_steps/.test(document.querySelector('{tid('status-message')}').textContent)")
    page.wait_for_function(f"() => document.querySelector('{tid('cfg-unrolled_steps')}').value === '0'")
    page.click(tid("hyper-tab-model"))
    assert page.is_visible(tid("cfg-generator-lr")) and page.is_hidden(tid("cfg-pack"))


def test_presets_are_grouped_and_explained(page, server):
    catalog = page.request.get(f"{server}/api/presets").json()
    dataset = page.input_value(tid("dataset-select"))
    offered = [p for p in catalog["presets"] if dataset in p.get("datasets", [dataset])]
    options = page.evaluate(f"""() => [...document.querySelectorAll('{tid("preset-select")} option')]
        .filter((o) => o.value).map((o) => [o.value, o.parentElement.tagName, o.parentElement.label])""")
    assert sorted(o[0] for o in options) == sorted(p["name"] for p in offered)
    assert all(tag == "OPTGROUP" for _, tag, _ in options)
    name = offered[0]["name"]
    page.select_option(tid("preset-select"), name)
    page.wait_for_function("(n) => location.search.includes('preset=' + n)", arg=name)
    explanation = page.text_content(tid("preset-explanation"))
    assert offered[0]["explanation"][:40] in explanation
    page.fill(tid("cfg-generator-lr"), "0.011")  # a change since the preset is marked
    page.press(tid("cfg-generator-lr"), "Enter")
    page.wait_for_function(f"() => /changed since/.test(document.querySelector('{tid('preset-explanation')}').textContent)")


def test_knob_buttons_pull_live_knobs(page, server):
    knobs = page.request.get(f"{server}/api/presets").json().get("knobs")
    if not knobs:
        assert page.is_hidden("#knobs")
        pytest.skip("the server lists no knobs")
    for k in knobs:
        assert page.locator(tid(f"knob-{k['name']}")).count() == 1
    page.click(tid("hyper-tab-cures"))
    before = session_info(page, server)["config"]["generator"]["lr"]
    page.click(tid("knob-g-lr-x10"))
    page.wait_for_function("(lr) => Math.abs(window.gandojo.state.config.generator.lr - lr) < 1e-9", arg=10 * before)
    assert session_info(page, server)["config"]["generator"]["lr"] == pytest.approx(10 * before)
    assert float(page.input_value(tid("cfg-generator-lr"))) == pytest.approx(10 * before)
    # an on/off knob shows the state the server reports (`knobs` in its config message), both ways
    r1 = page.locator(tid("knob-r1"))
    was = session_info(page, server)["knobs"]["r1"]
    r1.click()
    page.wait_for_function("(on) => window.gandojo.state.knobs && window.gandojo.state.knobs.r1 === on", arg=not was)
    assert r1.get_attribute("aria-pressed") == str(not was).lower()
    assert session_info(page, server)["knobs"]["r1"] is (not was)
    r1.click()
    page.wait_for_function("(on) => window.gandojo.state.knobs.r1 === on", arg=was)
    assert r1.get_attribute("aria-pressed") == str(was).lower()


def test_normal_view_screenshot(page, server):
    open_page(page, server, "dataset=ring8&seed=3")
    set_running(page, True)
    wait_iteration(page, ">=", 300, timeout=20_000)
    set_running(page, False)
    assert iteration(page) >= 300
    page.screenshot(path=NORMAL_SCREENSHOT)
