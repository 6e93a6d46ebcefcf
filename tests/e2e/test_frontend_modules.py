"""The page's ES modules run in the browser: frame decoding, URL state, history bounds, shape checks;
and the front end's layout: a core and a folder per view, one DOM helper, no bound copied from the server."""

from __future__ import annotations

import re
from pathlib import Path

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


# ---------------------------------------------------------------- module layout (issue 11)
FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
JS = FRONTEND / "js"
# The timeline slider's bounds are the page's own frame history, not a server bound: its literals stay.
BOUNDS_NOT_SERVED = {"timeline-slider"}


def _sources() -> dict[str, str]:
    return {str(p.relative_to(JS)): p.read_text() for p in sorted(JS.rglob("*.js"))}


def test_the_page_is_a_core_and_a_folder_per_view():
    files = set(_sources())
    for core in ("state", "api", "transport", "protocol", "dom", "limits", "kinds", "jobs"):
        assert f"core/{core}.js" in files
    for view in ("lab", "images", "compare", "presenter", "saved", "plots"):
        assert any(f.startswith(view + "/") for f in files), view
    assert {f for f in files if "/" not in f} == {"main.js", "views.js"}  # wiring only at the top
    for name, text in _sources().items():  # every module says what it is, in its first line
        assert text.startswith(f"// {name} — "), name
        assert len(text.splitlines()) <= 350, name


def test_one_definition_of_each_dom_helper_and_one_job_poller():
    sources = _sources()
    defines = {name for name, text in sources.items()
               if re.search(r"(const|function)\s+byTestId\b", text)}
    assert defines == {"core/dom.js"}
    # every lookup of an element by its test id goes through it
    assert [n for n, t in sources.items() if re.search(r'querySelector\(`\[data-testid="\$\{', t)] == ["core/dom.js"]
    assert [n for n, t in sources.items() if re.search(r"function\s+setText\b", t)] == ["core/dom.js"]
    # GET /api/jobs/{job} is polled in one place only
    assert [n for n, t in sources.items() if "api.job(" in t or "/api/jobs/" in t] == ["core/api.js", "core/jobs.js"]


def test_no_server_bound_is_copied_into_the_page():
    for name, text in _sources().items():
        assert not re.search(r"\b(min|max)\s*:\s*-?\d", text), f"{name}: a bound literal (take it from /api/limits)"
    pages = {"index.html": (FRONTEND / "index.html").read_text(), "images/template.js": (JS / "images/template.js").read_text()}
    for name, html in pages.items():
        for tag in re.findall(r"<input[^>]*>", html):
            tid = re.search(r'data-testid="([^"]+)"', tag)
            if tid and tid.group(1) in BOUNDS_NOT_SERVED:
                continue
            assert not re.search(r'\b(min|max)="', tag), f"{name}: {tag}"


def test_every_editor_shows_the_served_bounds(page):
    out = run(page, """
        const limits = await (await fetch('/api/limits')).json();
        const {PROPS} = await import('/js/core/state.js');
        const {schemaAt} = await import('/js/core/limits.js');
        const q = (id) => document.querySelector(`[data-testid="${id}"]`);
        const rows = [];
        for (const p of PROPS.filter((x) => x.name.startsWith('config.'))) {
          const node = schemaAt(limits.config['2d'], p.name.slice(7));
          const el = q('cfg-' + p.name.slice(7).replace(/\\./g, '-'));
          rows.push({name: p.name, tag: el.tagName, min: el.min, max: el.max,
                     options: el.tagName === 'SELECT' ? [...el.options].map((o) => o.value) : null,
                     node});
        }
        const knobs = [['image-batch-input', 'batch_size'], ['image-k-d', 'k_d'], ['latent-dim-input', 'latent_dim'],
                       ['image-loss-select', 'loss'], ['image-d-dropout', 'discriminator.dropout']].map(([id, path]) => {
          const el = q(id);
          return {name: id, tag: el.tagName, min: el.min, max: el.max, node: schemaAt(limits.config.image, path),
                  options: el.tagName === 'SELECT' ? [...el.options].map((o) => o.value) : null};
        });
        const top = [['seed-input', 'reset', 'seed'], ['speed-input', 'speed', 'iterations_per_frame'],
                     ['stage-ms-input', 'slowmo', 'stage_ms'], ['drs-percentile', 'drs', 'percentile']].map(([id, cmd, f]) => {
          const def = limits.commands.$defs[limits.commands.discriminator.mapping[cmd].split('/').pop()];
          const node = def.properties[f].anyOf ? def.properties[f].anyOf[0] : def.properties[f];
          return {name: id, tag: 'INPUT', min: q(id).min, max: q(id).max, node, options: null};
        });
        const requests = [['metrics-n-input', 'metrics', 'n'], ['export-n-input', 'export', 'n']].map(([id, req, f]) => (
          {name: id, tag: 'INPUT', min: q(id).min, max: q(id).max, node: limits.requests[req].properties[f], options: null}));
        return {rows: [...rows, ...knobs, ...top, ...requests], server: limits.server};
    """)
    assert len(out["rows"]) > 30
    for r in out["rows"]:
        node = r["node"]
        if "enum" in node:
            assert r["tag"] == "SELECT" and r["options"] == node["enum"], r
            continue
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        for key, cap in (("batch", "max_batch"), ("heatmap", "max_heatmap_resolution"), ("speed", "max_step_n")):
            if key in r["name"] and high is not None:
                high = min(high, out["server"][cap])
        assert r["min"] == ("" if low is None else _num(low)), r
        assert r["max"] == ("" if high is None else _num(high)), r


def _num(v) -> str:
    """A number as an input's min / max attribute reads it back."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def test_save_name_and_csv_size_follow_the_server(page):
    out = run(page, """
        const limits = await (await fetch('/api/limits')).json();
        const el = document.querySelector('[data-testid="save-name-input"]');
        const valid = (v) => { el.value = v; const ok = el.checkValidity(); el.value = ''; return ok; };
        return {max: el.maxLength, served: limits.requests.save.properties.name.anyOf[0].maxLength,
                ok: valid('run_1-b'), dash: valid('-run'), space: valid('a b'),
                title: document.querySelector('[data-testid="csv-upload"]').closest('label').title,
                csv: limits.server.max_csv_bytes};
    """)
    assert out["max"] == out["served"] == 64
    assert (out["ok"], out["dash"], out["space"]) == (True, False, False)  # the server's pattern, enforced
    assert f"{out['csv'] / 1e6:g} MB" in out["title"]
