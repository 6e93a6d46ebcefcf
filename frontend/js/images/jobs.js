// images/jobs.js — the image session's job panels (metrics, the real+generated experiment: start, cancel, result tables) on the shared JobRunner.

import { fmt } from '../plots/common.js';
import { JobRunner } from '../core/jobs.js';

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

/**
 * FID for scale, beside the readout: the values benchmarks/fid_reference.py measured on the embedded
 * MNIST (frontend/data/fid-reference.json); '' when there are none for `dataset`.
 */
export function fidReferenceText(ref, dataset) {
  if (!ref || ref.dataset !== dataset || !ref.trained) return '';
  const n = (v) => fmt(v, v < 10 ? 2 : 0);
  const its = ref.trained.iterations.toLocaleString('en-US');
  return `FID for scale (${ref.dataset}, ${ref.source} data, N = ${ref.n.toLocaleString('en-US')} each, `
    + `benchmarks/fid_reference.py): real vs real ${n(ref.real_vs_real)} · ${ref.trained.model.toUpperCase()} GAN after `
    + `${its} iterations ${n(ref.trained.fid)} · uniform noise ${n(ref.noise)}.`;
}

/** The classifier-retraining result: test accuracy per real/generated mix. */
export function experimentTable(r) {
  return table(['real / generated', 'test accuracy', 'images'], (r.mixes || []).map((m) => {
    const real = Math.round(100 * m.real_fraction);
    const n = typeof m.n_real === 'number' ? `${m.n_real.toLocaleString('en-US')} + ${(m.n_generated || 0).toLocaleString('en-US')}` : '';
    return [`${real} / ${100 - real}`, pct(m.test_accuracy), n];
  }));
}

/** A job panel of the image view: its button starts the job, its cancel button cancels it, the result table replaces the last one. */
export class JobPanel extends JobRunner {
  /** `els`: {button, cancel, progress, result}; `deps`: {start() → Promise<{job}>, cancel(job) → Promise, render(result) → Element, label, error(msg)}. */
  constructor(els, deps) {
    const { label, error } = deps;
    super(els.progress, {
      start: () => {
        els.result.replaceChildren();
        return deps.start();
      },
      done: (result) => result && els.result.replaceChildren(deps.render(result)),
      ended: (m) => m.state === 'failed' && error(`${label} failed: ${m.message || 'no reason given'}`),
      failed: (message) => error(`${label}: ${message}`),
      busy: (on) => {
        els.button.disabled = on;
        els.cancel.hidden = !on;
      },
    });
    this.els = els;
    els.button.addEventListener('click', () => this.run());
    els.cancel.addEventListener('click', () => this.job && deps.cancel(this.job)
      .catch((e) => error(`${label}: cannot cancel: ${e.message}`)));
  }

  /** Forget a job of an old session (the page moved to another one). */
  reset() {
    super.reset();
    this.els.result.replaceChildren();
  }
}
