"""The shareable URL, hidden control groups, drawn and uploaded data, checkpoints and the pre-trained start."""

from __future__ import annotations

import pytest

from .helpers import (drop_expected_errors, iteration, open_page, session_info, set_running, tid, wait_iteration,
                      wait_session_gone)

SHARED = ("dataset=grid25&seed=42&preset=ganlab-default&g_lr=0.02&d_neurons=12&loss=hinge&inoise=0.05"
          "&hide=hyperparams,presets,knobs,compare")


def test_url_round_trip_restores_inputs_and_the_server_session(page, server):
    open_page(page, server, SHARED)
    assert page.input_value(tid("dataset-select")) == "grid25"
    assert page.input_value(tid("seed-input")) == "42"
    assert page.input_value(tid("preset-select")) == "ganlab-default"
    values = {i: page.input_value(tid(i)) for i in ("cfg-generator-lr", "cfg-discriminator-neurons", "cfg-loss", "cfg-instance_noise")}
    assert values == {"cfg-generator-lr": "0.02", "cfg-discriminator-neurons": "12", "cfg-loss": "hinge",
                      "cfg-instance_noise": "0.05"}
    info = session_info(page, server)
    assert (info["dataset"], info["seed"]) == ("grid25", 42)
    cfg = info["config"]
    assert (cfg["generator"]["lr"], cfg["discriminator"]["neurons"], cfg["loss"], cfg["instance_noise"]) == (0.02, 12, "hinge", 0.05)
    assert cfg["generator"]["neurons"] == 8 and cfg["discriminator"]["lr"] == 0.1  # the rest: the preset's
    # the URL keeps saying the same, and follows a change
    for part in SHARED.split("&"):
        assert part.replace(",", "%2C") in page.url
    page.fill(tid("seed-input"), "43")
    page.press(tid("seed-input"), "Enter")
    page.wait_for_function("() => location.search.includes('seed=43')")
    assert session_info(page, server)["seed"] == 43


def test_hide_list_hides_control_groups(page):
    for hidden in ("cfg-generator-lr", "preset-select", "compare-toggle"):
        assert page.is_hidden(tid(hidden)), hidden
    for shown in ("play-button", "plot-distribution", "drs-toggle", "draw-toggle", "share-link"):
        assert page.is_visible(tid(shown)), shown


def test_copy_link_copies_the_current_url(page):
    page.click(tid("share-link"))
    page.wait_for_function(f"() => document.querySelector('{tid('share-link')}').dataset.url === location.href")
    assert "seed=43" in page.get_attribute(tid("share-link"), "data-url")


def test_drawn_strokes_become_the_dataset(page, server):
    open_page(page, server, "dataset=ring8&seed=2")
    page.click(tid("draw-toggle"))
    assert page.get_attribute(tid("draw-toggle"), "aria-pressed") == "true"
    page.wait_for_function("() => document.querySelector('[data-testid=plot-distribution]').layout.xaxis.range[1] === 1")
    box = page.locator("#draw-overlay").bounding_box()
    for row in (0.3, 0.7):  # two horizontal zigzags across the middle of the unit square
        y = box["y"] + row * box["height"]
        page.mouse.move(box["x"] + 0.2 * box["width"], y)
        page.mouse.down()
        for k in range(1, 13):
            page.mouse.move(box["x"] + (0.2 + 0.05 * k) * box["width"], y + (8 if k % 2 else -8))
        page.mouse.up()
    count = int(page.text_content(tid("draw-count")).split()[0])
    assert 100 < count <= 10_000
    page.click(tid("draw-apply"))
    page.wait_for_function(f"() => document.querySelector('{tid('dataset-select')}').value === 'drawn'")
    assert session_info(page, server)["dataset"] == "drawn"
    page.wait_for_function("() => window.gandojo.header.dataset === 'drawn'")
    ys = page.evaluate("() => window.gandojo.widgets.dist.last.sections.real.data.filter((_, i) => i % 2 === 1)")
    assert all(0.15 < y < 0.85 for y in ys)  # strokes at 30 % and 70 % from the top (± the zigzag and noise)
    assert page.get_attribute(tid("draw-toggle"), "aria-pressed") == "false"


def test_csv_upload_good_and_bad(page, server, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,four\n")
    page.set_input_files(tid("csv-upload"), str(bad))
    page.wait_for_function(f"() => /line 3/.test(document.querySelector('{tid('status-message')}').textContent)")
    assert page.get_attribute(tid("status-message"), "data-kind") == "error"
    drop_expected_errors(page, "status of 422")
    good = tmp_path / "good.csv"
    good.write_text("x,y\n" + "\n".join(f"{i % 7},{i // 7}" for i in range(35)) + "\n")
    page.set_input_files(tid("csv-upload"), str(good))
    page.wait_for_function(f"() => document.querySelector('{tid('dataset-select')}').value === 'csv'")
    assert session_info(page, server)["dataset"] == "csv"
    page.wait_for_function("() => window.gandojo.header.dataset === 'csv' && window.gandojo.header.view.x[1] > 6")


def test_checkpoint_save_then_load_resumes_at_the_same_iteration(page, server):
    page.click(tid("step-button"))
    page.click(tid("step-button"))
    wait_iteration(page, "===", 2)
    with page.expect_download() as download:
        page.click(tid("checkpoint-save"))
    assert download.value.suggested_filename.endswith(".safetensors")
    old = page.evaluate("() => window.gandojo.session.id")
    page.set_input_files(tid("checkpoint-load"), download.value.path())
    page.wait_for_function("(old) => window.gandojo.session.id !== old", arg=old)
    new = session_info(page, server)
    assert new["iteration"] == 2 and new["dataset"] == "csv"
    page.wait_for_function("() => window.gandojo.header && window.gandojo.header.iteration === 2 && window.gandojo.header.dataset === 'csv'")
    assert iteration(page) == 2
    wait_session_gone(page, server, old)
    set_running(page, True)  # the loaded session trains on
    wait_iteration(page, ">", 2)
    set_running(page, False)


def test_pretrained_start(page, server):
    answer = page.request.post(f"{server}/api/sessions", data={"dataset": "gaussians", "pretrained": True})
    if answer.status == 422:  # not offered yet: a link asking for it still opens, with the rest of its settings
        open_page(page, server, "dataset=gaussians&seed=4&pretrained=1&g_lr=0.02")
        assert session_info(page, server)["config"]["generator"]["lr"] == 0.02
        assert "pretrained" in page.text_content(tid("status-message"))
        assert not page.is_checked(tid("pretrained-toggle"))
        drop_expected_errors(page, "status of 422")
        pytest.skip("the server does not offer pre-trained starts yet")
    page.request.delete(f"{server}/api/sessions/{answer.json()['id']}",
                        headers={"Authorization": f"Bearer {answer.json()['token']}"})
    open_page(page, server, "dataset=gaussians&seed=0")
    old = page.evaluate("() => window.gandojo.session.id")
    page.check(tid("pretrained-toggle"))
    page.wait_for_function("(old) => window.gandojo.session.id !== old", arg=old)
    assert page.is_checked(tid("pretrained-toggle"))
    assert "pretrained=1" in page.url
    assert session_info(page, server)["iteration"] > 0  # a model trained in advance
    page.wait_for_function("() => window.gandojo.header && window.gandojo.header.iteration > 0")
