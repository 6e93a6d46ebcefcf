// images/view.js — the image view: sample grid (cGAN row labels, class picker, latent interpolation), training readouts and loss chart, knobs, metrics jobs and export links.

import { VIEW_HTML, TRAINING_HTML } from './template.js';
import { TileCanvas } from './grid.js';
import { ImageKnobs } from './knobs.js';
import { JobPanel, metricsTable, experimentTable, fidReferenceText } from './jobs.js';
import { ImageLossChart } from './losschart.js';
import { fmt } from '../plots/common.js';
import { DataFetch, describeData } from './datafetch.js';
import { byTestId, setText } from '../core/dom.js';
import { applyBounds, commandRules, requestRules } from '../core/limits.js';

export { describeData };

const DEFAULT_STEPS = 10;
const pct = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${Math.round(100 * v)} %` : '–');

export class ImageView {
  /**
   * `root`: the view's section; `side`: the metrics panel, which gets the training readouts and the
   * loss chart. `deps`: {api, session() → {id, token}, send(cmd), error(msg), changed(config)}.
   */
  constructor(root, side, Plotly, deps) {
    this.deps = deps;
    root.innerHTML = VIEW_HTML;
    const training = document.createElement('div');
    training.className = 'image-training';
    training.innerHTML = TRAINING_HTML;
    side.appendChild(training);
    const el = (id) => byTestId(id, root) || byTestId(id, training);
    this.el = el;
    this.datasets = [];
    this.config = null;
    this.pending = null; // tile a, while b is not clicked yet
    const wrap = root.querySelector('.grid-wrap');
    this.labels = el('sample-grid-labels');
    this.grid = new TileCanvas(el('sample-grid'), {
      fit: () => ({ width: wrap.clientWidth - (this.labels.hidden ? 0 : this.labels.offsetWidth + 6), height: wrap.clientHeight }),
      drawn: () => { this.labels.style.height = this.grid.canvas.style.height; },
    });
    const strip = el('interpolation-strip');
    this.strip = new TileCanvas(strip.querySelector('canvas'), {
      fit: () => ({ width: strip.clientWidth, height: 96 }), maxScale: 4,
    });
    this.chart = new ImageLossChart(el('plot-image-losses'), Plotly);
    this.knobs = new ImageKnobs(el('image-knobs'), {
      patch: (patch) => deps.api.patchConfig(deps.session(), patch),
    });
    this.dataFetch = new DataFetch({
      button: el('data-fetch-button'), progress: el('data-fetch-progress'), message: el('data-fetch-message'), note: el('image-data-note'),
    }, { refresh: () => deps.api.datasets().then((json) => this.setCatalog(json)).catch((e) => deps.error(e.message)) });
    this.jobs = [this.job('metrics', metricsTable, () => deps.api.startMetrics(deps.session(), this.metricsBody())),
      this.job('experiment', experimentTable, () => deps.api.startExperiment(deps.session(), {}))];
    applyBounds(this.el('interpolation-steps'), commandRules('interpolate', 'steps'));
    applyBounds(this.el('metrics-n-input'), requestRules('metrics', 'n'));
    this.exportN = requestRules('export', 'n');
    applyBounds(this.el('export-n-input'), this.exportN);
    this.bind();
  }

  job(name, render, start) {
    const { api, error, session } = this.deps;
    const els = { button: this.el(`${name}-button`), cancel: this.el(`${name}-cancel`), progress: this.el(`${name}-progress`), result: this.el(`${name}-result`) };
    return new JobPanel(els, {
      start, render, error, label: name === 'metrics' ? 'Metrics' : 'Experiment', cancel: (job) => api.cancelJob(session(), job),
    });
  }

  /** POST /api/sessions body for the page's image dataset, seed and (URL) model. */
  sessionBody(state) {
    const body = { dataset: state.dataset, seed: state.seed };
    if (state.imageModel && state.imageModel !== 'mlp') body.config = { model: state.imageModel };
    return body;
  }

  metricsBody() {
    return { n: Number(this.el('metrics-n-input').value), drs: this.el('metrics-drs').checked };
  }

  bind() {
    this.grid.canvas.addEventListener('click', (ev) => this.pick(this.grid.tileAt(ev)));
    this.el('interpolation-clear').addEventListener('click', () => this.clearInterpolation());
    this.el('class-picker').addEventListener('change', (ev) => {
      const v = ev.target.value;
      this.deps.send({ cmd: 'grid', label: v === '' ? null : Number(v) });
    });
    this.el('export-n-input').addEventListener('change', () => this.exportLinks());
  }

  /** A click on tile `t`: the first click picks a, the second b (then the server interpolates). */
  pick(t) {
    if (t === null) return;
    if (this.pending === null) {
      this.pending = t;
      this.grid.setPicks([t]);
      this.el('interpolation-clear').disabled = false;
      setText(this.el('interpolation-hint'), `a = sample ${t + 1}; now click b.`);
      return;
    }
    const { min, max } = commandRules('interpolate', 'steps');
    const steps = Math.max(min, Math.min(max, Math.round(Number(this.el('interpolation-steps').value)) || DEFAULT_STEPS));
    this.deps.send({ cmd: 'interpolate', a: this.pending, b: t, steps });
    this.grid.setPicks([this.pending, t]);
    this.pending = null;
  }

  clearInterpolation() {
    this.pending = null;
    this.grid.setPicks([]);
    this.deps.send({ cmd: 'interpolate', a: null });
  }

  /** GET /api/datasets' image part: the list (for class names) and the model names. */
  setCatalog(json) {
    this.datasets = (json && json.image_datasets) || [];
    this.knobs.setModels(json && json.image_models);
    if (this.dataset) this.dataFetch.show(this.datasets.find((x) => x.name === this.dataset));
  }

  /** FID reference values (measured by benchmarks/fid_reference.py) under the metrics, for the session's dataset. */
  showFidReference() {
    if (this.fidReference === undefined) {
      this.fidReference = null; // asked once
      this.deps.api.fidReference().then((ref) => {
        this.fidReference = ref;
        this.showFidReference();
      }, () => {});
    }
    const el = this.el('fid-reference');
    const text = fidReferenceText(this.fidReference, this.dataset);
    setText(el, text);
    el.hidden = !text;
  }

  /** The catalog entry of `name`, for the data line. */
  entry(name) {
    return this.datasets.find((x) => x.name === name);
  }

  /** The session's info (creation answer, hello, reset): config, data, export links. */
  setInfo(info) {
    if (info.config) this.setConfig(info.config);
    if (info.dataset) this.dataset = info.dataset;
    const d = this.entry(this.dataset);
    if (info.data) setText(this.el('image-data-source'), describeData(info.data));
    if (info.dataset) this.setClasses(info.dataset);
    this.showFidReference();
    this.dataFetch.show(d);
    this.exportLinks();
  }

  /** A new session: old jobs, picks, errors and the chart go. */
  newSession() {
    this.jobs.forEach((j) => j.reset());
    this.knobs.clearErrors();
    this.reset();
  }

  /** After a reset (or a rebuild): the run starts again. */
  reset() {
    this.chart.clear();
    this.pending = null;
    this.grid.setPicks([]);
  }

  setConfig(config) {
    const rebuilt = this.config && this.config.model !== config.model;
    this.config = config;
    this.knobs.sync(config);
    const picker = this.el('class-picker');
    picker.disabled = config.model !== 'cgan';
    picker.title = picker.disabled ? 'Only the cGAN knows classes: choose model cgan' : '';
    if (rebuilt) this.reset();
    this.deps.changed(config);
  }

  setClasses(dataset) {
    const d = this.datasets.find((x) => x.name === dataset);
    this.classes = (d && d.classes) || [...Array(10).keys()].map(String);
    const picker = this.el('class-picker');
    const keep = picker.value;
    picker.replaceChildren(new Option('All classes (a row each)', ''), ...this.classes.map((c, i) => new Option(`${i} · ${c}`, String(i))));
    picker.value = keep;
  }

  exportLinks() {
    const s = this.deps.session();
    if (!s || !s.id) return;
    const { min, max } = this.exportN;
    const n = Math.max(min, Math.min(max, Math.round(Number(this.el('export-n-input').value)) || max));
    ['npz', 'png'].forEach((f) => {
      const a = this.el(`export-${f}`);
      a.href = this.deps.api.exportUrl(s, n, f);
      a.download = `gandojo-${this.config ? this.config.model : 'samples'}-${n}.${f}`;
    });
  }

  /** Every received frame: the chart keeps the history (rendering only shows the newest). */
  received(frame) {
    this.chart.pushHeader(frame.header);
  }

  /** Jobs' websocket events. */
  jobEvent(m) {
    this.jobs.forEach((j) => j.update(m));
  }

  render({ header: h, sections }) {
    const g = h.grid || {};
    if (sections.samples) {
      const n = sections.samples.shape[0];
      const cols = g.cols || 8;
      this.grid.draw(sections.samples, g.rows || Math.ceil(n / cols), cols, h.iteration);
    }
    this.showLabels(g);
    this.showInterpolation(h.interpolation, sections.interpolation, h.iteration);
    this.showTraining(h);
    if (h.data) setText(this.el('image-data-source'), describeData(h.data));
  }

  /** cGAN: the class of each row beside the grid; the picker shows the picked class. */
  showLabels(g) {
    const labels = Array.isArray(g.labels) ? g.labels : null;
    const hide = !labels;
    if (this.labels.hidden !== hide) {
      this.labels.hidden = hide;
      this.grid.redraw();
    }
    const picker = this.el('class-picker');
    const picked = g.label === null || g.label === undefined ? '' : String(g.label);
    if (picker.value !== picked && document.activeElement !== picker) picker.value = picked;
    if (hide) return;
    const names = labels.map((l) => (this.classes && this.classes[l] !== undefined && this.classes[l] !== String(l) ? `${l} ${this.classes[l]}` : String(l)));
    if (this.labels.dataset.names === names.join('|')) return;
    this.labels.dataset.names = names.join('|');
    this.labels.style.gridTemplateRows = `repeat(${names.length}, 1fr)`;
    this.labels.replaceChildren(...names.map((t) => {
      const li = document.createElement('li');
      li.textContent = t;
      return li;
    }));
  }

  showInterpolation(info, section, iteration) {
    const clear = this.el('interpolation-clear');
    const stripCanvas = this.strip.canvas;
    const on = Boolean(info && section);
    clear.disabled = !on && this.pending === null;
    stripCanvas.hidden = !on;
    this.el('interpolation-strip').dataset.steps = on ? String(section.shape[0]) : '0';
    if (!on) {
      if (this.pending === null) setText(this.el('interpolation-hint'), 'Click two samples in the grid: a, then b.');
      return;
    }
    this.strip.draw(section, 1, section.shape[0], iteration);
    setText(this.el('interpolation-hint'), `G(z) on the line from z_a (sample ${info.a + 1}) to z_b (sample ${info.b + 1}), ${info.steps} steps`);
    if (this.pending === null) this.grid.setPicks([info.a, info.b]);
  }

  showTraining(h) {
    const m = h.metrics || {};
    setText(this.el('d-acc-real'), pct(m.d_real_acc));
    setText(this.el('d-acc-fake'), pct(m.d_fake_acc));
    setText(this.el('images-per-sec'), typeof h.images_per_sec === 'number' ? Math.round(h.images_per_sec).toLocaleString('en-US') : '–');
    const p = Math.max(0, Math.min(1, Number(h.epoch_progress) || 0));
    const prog = this.el('epoch-progress');
    prog.querySelector('.bar > span').style.width = `${(100 * p).toFixed(1)}%`;
    prog.dataset.progress = p.toFixed(4);
    const epoch = typeof h.epoch === 'number' ? Math.floor(h.epoch) + 1 : 1;
    setText(prog.querySelector('.text'), `Epoch ${epoch} · ${(100 * p).toFixed(1)} %`);
    const parts = [typeof h.epoch_seconds === 'number' ? `${fmt(h.epoch_seconds, 1)} s per epoch` : 'first epoch running'];
    if (typeof h.eta_seconds === 'number') parts.push(`${fmt(h.eta_seconds, 0)} s to its end`);
    setText(this.el('epoch-time'), parts.join(' · '));
  }
}
