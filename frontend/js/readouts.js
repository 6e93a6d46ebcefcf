// readouts.js — the numeric readouts (iteration, it/s, losses, KL/JS, modes, D accuracy) and the status line.

import { fmt } from './plots/common.js';

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const ERROR_SHOW_MS = 10000;

function setText(el, str) {
  if (el.textContent !== str) el.textContent = str;
}

export class Readouts {
  constructor() {
    this.el = Object.fromEntries(
      ['iteration-counter', 'its-value', 'd-loss', 'g-loss', 'kl-value', 'js-value', 'modes-value', 'status-message']
        .map((id) => [id, byTestId(id)]),
    );
    this.extra = {
      dReal: document.getElementById('d-real-value'),
      dFake: document.getElementById('d-fake-value'),
      acc: document.getElementById('d-acc-value'),
      hq: document.getElementById('hq-value'),
    };
    this.baseStatus = '';
    this.errorUntil = 0;
    this.errorTimer = null;
  }

  /** Show the numbers of a frame header. */
  update(h) {
    const m = h.metrics || {};
    const l = h.losses || {};
    setText(this.el['iteration-counter'], String(h.iteration));
    setText(this.el['its-value'], typeof h.its_per_sec === 'number' ? Math.round(h.its_per_sec).toString() : '–');
    setText(this.el['d-loss'], fmt(l.d, 4));
    setText(this.el['g-loss'], fmt(l.g, 4));
    setText(this.el['kl-value'], fmt(m.kl, 3));
    setText(this.el['js-value'], fmt(m.js, 3));
    setText(this.el['modes-value'], m.modes_total ? `${m.modes_captured ?? 0} / ${m.modes_total}` : '–');
    setText(this.extra.dReal, fmt(m.d_real_mean, 2));
    setText(this.extra.dFake, fmt(m.d_fake_mean, 2));
    const pct = (v) => (typeof v === 'number' ? `${Math.round(100 * v)}%` : '–');
    setText(this.extra.acc, `${pct(m.d_real_acc)} / ${pct(m.d_fake_acc)}`);
    setText(this.extra.hq, typeof m.high_quality === 'number' ? `${Math.round(100 * m.high_quality)}%` : '–');
  }

  /** Neutral status (connection, pause reason); shown unless an error is on screen. */
  status(msg) {
    this.baseStatus = msg;
    if (performance.now() >= this.errorUntil) this.show(msg, 'info');
  }

  /** A success worth saying: replaces any error on screen. */
  notice(msg) {
    this.errorUntil = 0;
    clearTimeout(this.errorTimer);
    this.status(msg);
  }

  /** An error: shown for a while, then the neutral status comes back. */
  error(msg) {
    this.errorUntil = performance.now() + ERROR_SHOW_MS;
    this.show(msg, 'error');
    clearTimeout(this.errorTimer);
    this.errorTimer = setTimeout(() => this.show(this.baseStatus, 'info'), ERROR_SHOW_MS);
  }

  show(msg, kind) {
    const el = this.el['status-message'];
    el.textContent = msg;
    el.dataset.kind = kind;
    el.title = msg;
  }
}
