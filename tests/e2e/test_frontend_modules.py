"""The page's ES modules run in the browser: frame decoding, URL state, history bounds, shape checks."""

from __future__ import annotations

import pytest


def run(page, body: str):
    """Evaluate `body` (an async function body that may `await import('/js/...')`) in the page."""
    return page.evaluate(f"async () => {{ {body} }}")


def test_frame_round_trip(page):
    out = run(page, """
        const p = await import('/js/core/protocol.js');
        const buf = p.encodeFrame({type: 'frame', iteration: 5},
            {real: {shape: [2, 2], data: new Float32Array([1, 2, 3, 4])},
             heatmap: {shape: [1, 1], data: new Float32Array([0.5])}});
        const f = p.decodeFrame(buf);
        return [f.header.iteration, f.sections.real.shape, Array.from(f.sections.real.data),
                Array.from(f.sections.heatmap.data), new DataView(buf).getUint32(4, true) % 4];
    """)
    assert out == [5, [2, 2], [1, 2, 3, 4], [0.5], 0]


@pytest.mark.parametrize("corrupt, message", [
    ("new Uint8Array(buf)[0] = 88", "magic"),
    ("buf = buf.slice(0, buf.byteLength - 4)", "bytes"),
    ("buf = new Uint8Array([...new Uint8Array(buf), 0, 0, 0, 0]).buffer", "bytes"),
    ("new DataView(buf).setUint32(4, 6, true)", "multiple of 4"),
    ("new DataView(buf).setUint32(4, 1 << 20, true)", "runs past"),
])
def test_bad_frames_are_rejected_loudly(page, corrupt, message):
    err = run(page, f"""
        const p = await import('/js/core/protocol.js');
        let buf = p.encodeFrame({{type: 'frame'}}, {{fake: {{shape: [1, 2], data: new Float32Array([1, 2])}}}});
        {corrupt};
        try {{ p.decodeFrame(buf); return null; }} catch (e) {{ return e.message; }}
    """)
    assert err is not None and message in err


def test_url_state_round_trip(page):
    out = run(page, """
        const s = await import('/js/core/state.js');
        const r = s.readURL('?dataset=ring&seed=3&d_lr=0.2&g_beta2=0.99&show_fake=0&loss=bogus');
        const q = s.writeURL(r.state, s.defaultConfig());
        return [r.state.dataset, r.state.seed, r.state.config.discriminator.lr, r.state.layers.fake,
                r.configPatch, r.errors.length, q];
    """)
    dataset, seed, lr, show_fake, patch, n_errors, query = out
    assert (dataset, seed, lr, show_fake, n_errors) == ("ring", 3, 0.2, False, 1)
    assert patch == {"discriminator": {"lr": 0.2}, "generator": {"betas": [0.9, 0.99]}}
    assert query == "dataset=ring&seed=3&show_fake=0&g_beta2=0.99&d_lr=0.2"


def test_config_patch_sends_a_beta_with_its_partner(page):
    out = run(page, """
        const s = await import('/js/core/state.js');
        const cfg = s.defaultConfig();
        return [s.configPatchFor('config.generator.betas.0', 0.5, cfg),
                s.configPatchFor('config.noise.dim', 1, cfg)];
    """)
    assert out == [{"generator": {"betas": [0.5, 0.999]}}, {"noise": {"dim": 1}}]


def test_chart_history_stays_bounded(page):
    out = run(page, """
        const {History} = await import('/js/plots/linechart.js');
        const h = new History(100);
        for (let i = 0; i < 10000; i += 1) h.push(i, Math.sin(i));
        return [h.x.length, h.x[0], h.x[h.x.length - 1] > 9000];
    """)
    length, first, recent = out
    assert 50 <= length <= 100 and first == 0 and recent


def test_widgets_reject_wrong_shapes(page):
    out = run(page, """
        const c = await import('/js/plots/common.js');
        const errors = [];
        for (const [arr, pattern] of [[{shape: [3, 3], data: new Float32Array(9)}, [null, 2]],
                                      [{shape: [2, 2], data: new Float32Array(3)}, [null, 2]],
                                      [null, [null, 2]]]) {
          try { c.expectShape('x', arr, pattern); errors.push(null); } catch (e) { errors.push(e.message); }
        }
        return errors;
    """)
    assert all(e is not None and e.startswith("x:") for e in out)


def test_url_hide_list_preset_and_cures(page):
    out = run(page, """
        const s = await import('/js/core/state.js');
        const r = s.readURL('?hide=presets,knobs&preset=p1&pack=2&inoise=0.5&drs=1&drs_p=90');
        const bad = s.readURL('?hide=presets,nonsense');
        const q = s.writeURL(r.state, s.defaultConfig());
        return [r.state.hide, r.state.preset, r.state.config.pack, r.state.drs, r.configPatch, bad.errors, q];
    """)
    hide, preset, pack, drs, patch, errors, query = out
    assert (hide, preset, pack, drs) == (["presets", "knobs"], "p1", 2, {"on": True, "percentile": 90})
    assert patch == {"pack": 2, "instance_noise": 0.5}
    assert len(errors) == 1 and "nonsense" in errors[0]
    assert "hide=presets%2Cknobs" in query and "preset=p1" in query and "pack=2" in query


def test_url_config_is_relative_to_the_preset(page):
    out = run(page, """
        const s = await import('/js/core/state.js');
        const preset = s.defaultConfig();
        preset.loss = 'minimax';
        preset.generator.betas = [0.5, 0.9];
        const parsed = s.readURL('?g_beta2=0.99&d_lr=0.2');
        const full = s.configFromURL(preset, parsed);
        return [full.loss, full.generator.betas, full.discriminator.lr, s.configPatchBetween(preset, full),
                s.configDiff(preset, full)];
    """)
    loss, betas, d_lr, patch, diff = out
    assert (loss, betas, d_lr) == ("minimax", [0.5, 0.99], 0.2)
    assert patch == {"generator": {"betas": [0.5, 0.99]}, "discriminator": {"lr": 0.2}}
    assert diff == ["config.generator.betas.1", "config.discriminator.lr"]


def test_stroke_sampler_spaces_points_evenly(page):
    out = run(page, """
        const {StrokeSampler} = await import('/js/lab/drawing.js');
        const s = new StrokeSampler(0.1);
        s.start([0, 0]);
        s.extend([0.25, 0]);
        s.extend([0.55, 0]);
        s.extend([0.55, 0]);
        return s.points.map((p) => Math.round(p[0] * 1000) / 1000);
    """)
    assert out == [0, 0.1, 0.2, 0.3, 0.4, 0.5]


def test_frame_history_is_bounded_and_finds_iterations(page):
    out = run(page, """
        const {FrameHistory} = await import('/js/lab/timeline.js');
        const h = new FrameHistory(5);
        for (const it of [0, 10, 10, 20, 30, 40, 50, 60]) h.push({header: {iteration: it}, tag: it});
        return [h.length, h.at(0).header.iteration, h.nearest(35).header.iteration,
                h.nearest(5).header.iteration, h.newest.header.iteration];
    """)
    assert out == [5, 20, 30, 20, 60]


def test_compare_contrasts_the_loss(page):
    out = run(page, """
        const c = await import('/js/compare/compare.js');
        const s = await import('/js/core/state.js');
        const a = s.defaultConfig();
        const b = c.contrastConfig(a);
        return [a.loss, b.loss, c.contrastConfig(b).loss, b.generator.lr === a.generator.lr];
    """)
    assert out == ["nonsaturating", "minimax", "nonsaturating", True]
