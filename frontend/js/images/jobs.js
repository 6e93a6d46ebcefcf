// images/jobs.js — background jobs of an image session (metrics, the real+generated experiment): start, progress from websocket events and polling, cancel, result tables.

import { fmt } from '../plots/common.js';

const POLL_MS = 600;
const pct = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '–');

/** A <table> from a header row and body rows (strings). */
export function table(head, rows) {
  const t = document.createElement('table');
  const tr = (cells, tag) => {
    const r = document.createElement('tr');
    cells.forEach((c) => {
      const td = document.createElement(tag);
      td.textContent = c;
      r.appendChild(td);
    });
    return r;
  };
  t.appendChild(tr(head, 'th'));
  rows.forEach((r) => t.appendChild(tr(r, 'td')));
  return t;
}

/** The metrics result: FID, IS-style score, precision / recall, cGAN classifier accuracy; DRS before → after. */
export function metricsTable(r) {
  const drs = r.drs;
  const head = drs ? ['', 'all samples', `after DRS (accepts ${pct(drs.acceptance)})`] : ['', `N = ${r.n}`];
  const row = (name, v, after) => (drs ? [name, v, after === undefined ? '' : after] : [name, v]);
  const rows = [
    row('FID (LeNet features)', fmt(r.fid, 2), drs && fmt(drs.fid, 2)),
    row('Inception-Score-style', fmt(r.inception_score, 2)),
    row('Precision (k = 3)', pct(r.precision), drs && pct(drs.precision)),
    row('Recall (k = 3)', pct(r.recall), drs && pct(drs.recall)),
  ];
  if (r.classifier_accuracy !== null && r.classifier_accuracy !== undefined) {
    rows.push(row('Classifier accuracy (cGAN)', pct(r.classifier_accuracy)));
  }
  if (drs) rows.push(row('N', String(r.n), ''));
  const t = table(head, rows);
  t.title = `Features: ${r.feature_net || 'gandojo LeNet (own MNIST classifier)'}, not Inception`;
  return t;
}

/** The classifier-retraining result: test accuracy per real/generated mix. */
export function experimentTable(r) {
  return table(['real / generated', 'test accuracy', 'images'], (r.mixes || []).map((m) => {
    const real = Math.round(100 * m.real_fraction);
    const n = typeof m.n_real === 'number' ? `${m.n_real.toLocaleString('en-US')} + ${(m.n_generated || 0).toLocaleString('en-US')}` : '';
    return [`${real} / ${100 - real}`, pct(m.test_accuracy), n];
  }));
}

export class JobRunner {
  /**
   * `els`: {button, cancel, progress, result}; `deps`: {start() → Promise<{job}>, get(job) →
   * Promise<job state>, cancel(job) → Promise, render(result) → Element, label, error(msg)}.
   */
  constructor(els, deps) {
    this.els = els;
    this.deps = deps;
    this.job = null;
    this.timer = null;
    els.button.addEventListener('click', () => this.run().catch((e) => this.failed(e.message)));
    els.cancel.addEventListener('click', () => this.cancel());
  }

  async run() {
    if (this.job) return;
    this.els.result.replaceChildren();
    this.els.button.disabled = true;
    this.show({ state: 'starting', progress: 0 });
    try {
      const { job } = await this.deps.start();
      this.job = job;
    } catch (e) {
      this.els.button.disabled = false;
      throw e;
    }
    this.els.cancel.hidden = false;
    this.show({ state: 'running', progress: 0 });
    this.poll();
  }

  /** Poll GET /api/jobs/{job} until it ends (websocket events usually arrive first). */
  poll() {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      const job = this.job;
      if (!job) return;
      try {
        this.update(await this.deps.get(job));
      } catch (e) {
        if (job === this.job) this.failed(e.message);
        return;
      }
      if (job === this.job) this.poll();
    }, POLL_MS);
  }

  /** A websocket `job` event or a polled state: {job, state, progress, result?, message?}. */
  update(m) {
    if (!this.job || m.job !== this.job) return;
    if (m.state === 'running') {
      this.show(m);
      return;
    }
    this.finish();
    if (m.state === 'done') {
      this.show({ state: 'done', progress: 1 });
      if (m.result) this.els.result.replaceChildren(this.deps.render(m.result));
    } else {
      this.show(m);
      if (m.state === 'failed') this.deps.error(`${this.deps.label} failed: ${m.message || 'no reason given'}`);
    }
  }

  async cancel() {
    if (!this.job) return;
    try {
      await this.deps.cancel(this.job);
    } catch (e) {
      this.deps.error(`${this.deps.label}: cannot cancel: ${e.message}`);
    }
  }

  failed(message) {
    this.finish();
    this.show({ state: 'failed', progress: 0, message });
    this.deps.error(`${this.deps.label}: ${message}`);
  }

  finish() {
    this.job = null;
    clearTimeout(this.timer);
    this.els.button.disabled = false;
    this.els.cancel.hidden = true;
  }

  /** Forget a job of an old session (the page moved to another one). */
  reset() {
    this.finish();
    this.els.progress.hidden = true;
    this.els.progress.dataset.state = 'idle';
    this.els.result.replaceChildren();
  }

  show({ state, progress, message }) {
    const el = this.els.progress;
    const p = Math.max(0, Math.min(1, Number(progress) || 0));
    el.hidden = false;
    el.dataset.state = state;
    el.dataset.progress = p.toFixed(3);
    el.querySelector('.bar > span').style.width = `${(100 * p).toFixed(1)}%`;
    const words = { starting: 'starting…', running: `${Math.round(100 * p)} %`, done: 'done', cancelled: 'cancelled' };
    el.querySelector('.text').textContent = words[state] || `${state}${message ? `: ${message}` : ''}`;
  }
}
