"""The image view against a real server and real MNIST digits: the dataset switch, the live sample grid,
cGAN rows and class picker, interpolation, knobs, a metrics run, export links and the way back to 2D."""

from __future__ import annotations

import re

import pytest

from .conftest import VIEWPORT
from .helpers import drop_expected_errors, iteration, open_page, session_info, set_running, tid, wait_iteration

GRID = f"document.querySelector('{tid('sample-grid')}')"
PIXELS = f"() => {GRID}.toDataURL()"
IN_IMAGE_VIEW = "() => document.body.classList.contains('view-image')"
LABELS = f"() => [...document.querySelectorAll('{tid('sample-grid-labels')} li')].map((li) => li.textContent)"


@pytest.fixture(scope="module", autouse=True)
def mnist_page(page, server):
    """The page as a visitor first sees it, then MNIST chosen in the dataset switch."""
    open_page(page, server)
    page.select_option(tid("dataset-select"), "mnist")
    page.wait_for_function(IN_IMAGE_VIEW)
    page.wait_for_function(f"() => {GRID}.dataset.iteration !== undefined")
    yield
    if page.evaluate("() => window.gandojo.state.running"):
        set_running(page, False)


def grid_iteration(page) -> int:
    return int(page.get_attribute(tid("sample-grid"), "data-iteration"))


def step_and_wait(page, condition: str, arg=None) -> None:
    """One Step (so a fresh frame comes while paused), then wait for the JS `condition`."""
    page.click(tid("step-button"))
    page.wait_for_function(condition, arg=arg)


def test_the_tile_canvas_draws_gray_pixels_in_whole_blocks_and_rejects_wrong_shapes(page):
    out = page.evaluate("""async () => {
        const { TileCanvas } = await import('/js/images/grid.js');
        const box = document.createElement('div');
        const canvas = document.createElement('canvas');
        box.appendChild(canvas);
        document.body.appendChild(box);
        const tiles = new TileCanvas(canvas, { fit: () => ({ width: 112 / devicePixelRatio, height: 56 / devicePixelRatio }) });
        const data = new Float32Array(2 * 28 * 28);
        data[0] = 1;                 // tile 0, pixel (0, 0): white
        data[27 * 28 + 27] = 0.5;    // tile 0, pixel (27, 27): mid gray
        data.fill(1, 28 * 28);       // tile 1: white
        tiles.draw({ shape: [2, 28, 28], data }, 1, 2, 7);
        const px = (x, y) => canvas.getContext('2d').getImageData(x, y, 1, 1).data[0];
        const errors = [[[2, 27, 28], 1, 2], [[2, 28, 28], 2, 2]].map(([shape, rows, cols]) => {
            try { tiles.draw({ shape, data: new Float32Array(shape[0] * shape[1] * shape[2]) }, rows, cols, 8); return null; }
            catch (e) { return e.message; }
        });
        box.remove();
        return { size: [canvas.width, canvas.height], it: canvas.dataset.iteration,
                 block: [px(0, 0), px(1, 1), px(2, 2)], gray: px(54, 55), white: px(80, 20), errors };
    }""")
    assert out["size"] == [112, 56] and out["it"] == "7"
    assert out["block"] == [255, 255, 0]  # one image pixel = a 2×2 block, no smoothing into its neighbour
    assert out["gray"] in (127, 128) and out["white"] == 255
    assert "does not match" in out["errors"][0] and "2×2" in out["errors"][1]


def test_mnist_is_offered_and_opens_the_image_view(page, server):
    group = page.locator(f"{tid('dataset-select')} optgroup[label=Images]")
    assert group.locator("option[value=mnist]").count() == 1
    assert page.locator(tid("plot-distribution")).is_hidden()
    assert page.locator(tid("sample-grid")).is_visible()
    assert page.locator(tid("d-loss")).is_visible() and page.locator(tid("play-button")).is_visible()
    info = session_info(page, server)
    assert info["kind"] == "image" and info["dataset"] == "mnist"
    source = page.text_content(tid("image-data-source"))
    count = info["data"]["count"]
    assert re.fullmatch(rf"mnist · \S.* · {count:,} images", source), source
    assert "dataset=mnist" in page.url
    shape = page.evaluate("() => window.gandojo.sections.samples.shape")
    assert shape == [64, 28, 28]
    size = page.evaluate(f"() => [{GRID}.width, {GRID}.height]")
    assert size[0] == size[1] and size[0] % (8 * 28) == 0 and size[0] >= 2 * 8 * 28  # whole-pixel scale-up


def test_play_changes_the_sample_grid_and_the_readouts(page):
    start, before = grid_iteration(page), page.evaluate(PIXELS)
    set_running(page, True)
    page.wait_for_function(
        f"([it, px]) => parseInt({GRID}.dataset.iteration) > it + 20 && {GRID}.toDataURL() !== px",
        arg=[start, before], timeout=30_000)
    wait_iteration(page, ">", start + 20)
    assert grid_iteration(page) > start
    assert page.evaluate(PIXELS) != before
    for testid in ("d-acc-real", "d-acc-fake"):
        assert re.fullmatch(r"\d{1,3} %", page.text_content(tid(testid))), testid
    assert re.fullmatch(r"Epoch \d+ · \d+\.\d %", page.text_content(tid("epoch-progress")))
    assert re.search(r"\d", page.text_content(tid("images-per-sec")))
    assert re.fullmatch(r"-?\d+\.\d{4}", page.text_content(tid("d-loss")))
    set_running(page, False)
    page.wait_for_function("() => window.gandojo.header.running === false")
    losses = page.evaluate(
        f"() => document.querySelector('{tid('plot-image-losses')}').data.filter((t) => t.x.length > 0).map((t) => t.name)")
    assert "D loss" in losses and "G loss" in losses
    epochs = page.evaluate("() => window.gandojo.header.epochs")
    assert epochs and epochs[-1]["epoch"] >= 1  # the test data is small: epochs end quickly
    page.wait_for_function(
        f"""(n) => document.querySelector('{tid('plot-image-losses')}').data
                   .filter((t) => t.name.endsWith('epoch mean') && t.x.length === n).length === 2""",
        arg=len(epochs))


def test_cgan_shows_one_labelled_row_per_class_and_the_class_picker_works(page, server):
    picker = page.locator(tid("class-picker"))
    assert picker.is_disabled()  # mlp knows no classes
    page.select_option(tid("model-select"), "cgan")
    page.wait_for_function(f"() => !document.querySelector('{tid('class-picker')}').disabled")
    step_and_wait(page, f"() => ({LABELS})().length === 10")
    assert page.evaluate(LABELS) == [str(i) for i in range(10)]
    assert page.evaluate(f"() => {GRID}.height / {GRID}.width") == pytest.approx(10 / 8)
    assert session_info(page, server)["config"]["model"] == "cgan"
    assert "model=cgan" in page.url

    page.select_option(tid("class-picker"), "3")
    page.wait_for_function("() => window.gandojo.header.grid.label === 3")
    labels = page.evaluate(LABELS)
    assert page.evaluate("() => window.gandojo.sections.samples.shape") == [64, 28, 28]
    assert page.locator(tid("sample-grid-labels")).is_hidden() or set(labels) == {"3"}

    page.select_option(tid("class-picker"), "")
    page.wait_for_function(f"() => window.gandojo.header.grid.label === null && ({LABELS})().length === 10")


def test_two_clicked_tiles_give_a_latent_interpolation(page):
    box = page.locator(tid("sample-grid")).bounding_box()
    tile = box["width"] / 8
    page.mouse.click(box["x"] + tile / 2, box["y"] + tile / 2)  # a: tile 0
    assert "now click b" in page.text_content(tid("interpolation-hint"))
    page.fill(tid("interpolation-steps"), "6")
    page.mouse.click(box["x"] + 1.5 * tile, box["y"] + 1.5 * tile)  # b: row 1, column 1 = tile 9
    page.wait_for_function(f"() => document.querySelector('{tid('interpolation-strip')}').dataset.steps === '6'")
    assert page.evaluate("() => window.gandojo.header.interpolation") == {"a": 0, "b": 9, "steps": 6}
    assert page.evaluate("() => window.gandojo.sections.interpolation.shape") == [6, 28, 28]
    assert page.locator(f"{tid('interpolation-strip')} canvas").is_visible()
    page.click(tid("interpolation-clear"))
    step_and_wait(page, f"() => document.querySelector('{tid('interpolation-strip')}').dataset.steps === '0'")
    assert page.evaluate("() => window.gandojo.header.interpolation") is None


def test_knobs_patch_the_config_and_show_the_servers_error_next_to_the_control(page, server):
    page.fill(tid("latent-dim-input"), "0")
    page.dispatch_event(tid("latent-dim-input"), "change")
    error = page.locator(tid("latent-dim-input-error"))
    error.wait_for(state="visible")
    assert "latent_dim" in error.text_content()
    assert page.input_value(tid("latent-dim-input")) == "100"  # the confirmed value again
    drop_expected_errors(page, "422")

    page.fill(tid("image-lr-d"), "0.0005")
    page.dispatch_event(tid("image-lr-d"), "change")
    page.wait_for_function("() => window.gandojo.widgets.images.config.discriminator.lr === 0.0005")
    assert session_info(page, server)["config"]["discriminator"]["lr"] == 0.0005
    assert page.text_content(tid("image-lr-d-error")) == ""


def test_export_links_point_at_the_session(page, server):
    sid = page.evaluate("() => window.gandojo.session.id")
    page.fill(tid("export-n-input"), "16")
    page.dispatch_event(tid("export-n-input"), "change")
    for fmt, magic in (("npz", b"PK"), ("png", b"\x89PNG")):
        href = page.get_attribute(tid(f"export-{fmt}"), "href")
        assert href == f"/api/sessions/{sid}/export?n=16&format={fmt}"
        response = page.request.get(server + href)
        assert response.ok and response.body()[:len(magic)] == magic


def test_a_metrics_run_shows_progress_then_a_result(page):
    page.evaluate(f"""() => {{
        const el = document.querySelector('{tid('metrics-progress')}');
        window.seenStates = [];
        new MutationObserver(() => window.seenStates.push(el.dataset.state)).observe(el, {{ attributes: true }});
    }}""")
    page.fill(tid("metrics-n-input"), "500")
    page.check(tid("metrics-drs"))
    page.click(tid("metrics-button"))
    page.wait_for_function(f"() => document.querySelector('{tid('metrics-progress')}').dataset.state === 'done'",
                           timeout=120_000)
    assert "running" in page.evaluate("() => window.seenStates")
    result = page.text_content(tid("metrics-result"))
    for name in ("FID", "Inception-Score-style", "Precision", "Recall", "Classifier accuracy (cGAN)"):
        assert name in result
    assert re.search(r"FID \(LeNet features\)\d+\.\d\d", result)
    assert re.search(r"Precision \(k = 3\)\d+\.\d %", result)
    assert re.search(r"after DRS \(accepts \d+\.\d %\)", result)
    rows = page.locator(f"{tid('metrics-result')} tr")
    assert rows.nth(1).locator("td").count() == 3  # FID: all samples, after DRS
    note = page.text_content(".feature-note")
    assert "LeNet" in note and "not Inception" in note
    # FID for scale beside the readout: the values benchmarks/fid_reference.py measured (its JSON file)
    ref = page.request.get(page.url.split("/?")[0] + "/data/fid-reference.json").json()
    shown = page.text_content(tid("fid-reference"))
    assert page.is_visible(tid("fid-reference")) and "real vs real" in shown and "uniform noise" in shown
    assert ref["real_vs_real"] < ref["trained"]["fid"] < ref["noise"]
    for value in (ref["real_vs_real"], ref["trained"]["fid"], ref["noise"]):
        assert (f"{value:.2f}" if value < 10 else f"{value:.0f}") in shown


def test_the_real_plus_generated_experiment_reports_one_accuracy_per_mix(page):
    page.click(tid("experiment-button"))
    assert page.is_disabled(tid("experiment-button"))  # one job at a time
    page.wait_for_function(f"() => document.querySelector('{tid('experiment-progress')}').dataset.state === 'done'",
                           timeout=180_000)
    rows = page.locator(f"{tid('experiment-result')} tr")
    assert rows.count() == 6
    mixes = [rows.nth(i).locator("td").first.text_content() for i in range(1, 6)]
    assert mixes == ["100 / 0", "75 / 25", "50 / 50", "25 / 75", "0 / 100"]
    for i in range(1, 6):
        assert re.fullmatch(r"\d+\.\d %", rows.nth(i).locator("td").nth(1).text_content())
    assert page.is_enabled(tid("experiment-button"))


def test_switching_back_to_2d_shows_the_distribution_plot(page, server):
    page.select_option(tid("dataset-select"), "gaussians")
    page.wait_for_function(f"() => !({IN_IMAGE_VIEW})() && window.gandojo.header.kind !== 'image'")
    assert page.locator(tid("plot-distribution")).is_visible()
    assert page.locator(tid("sample-grid")).is_hidden()
    assert session_info(page, server)["dataset"] == "gaussians"
    start = iteration(page)
    page.click(tid("step-button"))
    wait_iteration(page, ">", start)
    assert page.evaluate("() => window.gandojo.header.view") is not None
    assert page.errors == []


def test_an_image_dataset_in_the_url_opens_the_image_view(page, server):
    open_page(page, server, "dataset=mnist&seed=3&model=cgan")
    assert page.evaluate(IN_IMAGE_VIEW)
    info = session_info(page, server)
    assert (info["kind"], info["dataset"], info["seed"], info["config"]["model"]) == ("image", "mnist", 3, "cgan")
    assert page.input_value(tid("model-select")) == "cgan"
    page.wait_for_function(f"() => ({LABELS})().length === 10")
    assert page.errors == []


def test_an_image_dataset_missing_on_the_server_is_greyed_out_and_says_how_to_get_it(browser, make_server, tmp_path):
    base = make_server(GANDOJO_DATA=tmp_path, GANDOJO_EMBEDDED=0)  # an empty data directory, no embedded default
    context = browser.new_context(viewport=VIEWPORT)
    try:
        p = context.new_page()
        p.goto(base + "/?dataset=mnist&seed=0")
        p.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=20_000)
        option = p.locator(f"{tid('dataset-select')} optgroup[label=Images] option[value=mnist]")
        assert option.is_disabled()
        assert option.get_attribute("title").startswith("Get it:")
        assert not p.evaluate(IN_IMAGE_VIEW)
        assert p.evaluate("() => window.gandojo.session.id") and p.input_value(tid("dataset-select")) == "gaussians"
        status = p.text_content(tid("status-message"))
        assert status.startswith("MNIST digits is not on this server. Get it:") and status.endswith("— using gaussians")
    finally:
        context.close()
