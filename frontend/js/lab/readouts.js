// lab/readouts.js — the numeric readouts (iteration, losses, KL/JS, modes, D accuracy, DRS before → after), the alarm banner (every kind) and the status line.

import { fmt } from '../plots/common.js';
import { byTestId, setText } from '../core/dom.js';

const ERROR_SHOW_MS = 10000;
const NOTICE_SHOW_MS = 4000;

const pct = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${Math.round(100 * v)}%` : '–');

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
      rkl: document.getElementById('rkl-value'),
    };
    this.banner = byTestId('alarm-banner');
    this.drsEl = byTestId('drs-acceptance');
    this.baseStatus = '';
    this.holdUntil = 0; // a notice or an error stays on screen until then
    this.holdTimer = null;
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
    // '–' until the first metrics (never a made-up 0 or a count from before the last reset)
    const known = m.modes_total && typeof m.modes_captured === 'number';
    setText(this.el['modes-value'], known ? `${m.modes_captured} / ${m.modes_total}` : '–');
    setText(this.extra.dReal, fmt(m.d_real_mean, 2));
    setText(this.extra.dFake, fmt(m.d_fake_mean, 2));
    setText(this.extra.acc, `${pct(m.d_real_acc)} / ${pct(m.d_fake_acc)}`);
    setText(this.extra.hq, pct(m.high_quality));
    setText(this.extra.rkl, fmt(m.reverse_kl, 3));
  }

  /** The alarm: null / {active: false} hide the banner; {active: true, kind, message, cause} shows it
   *  (kind: collapse, dropping, d-wins, d-dead, oscillation or divergence; older servers send none). */
  alarm(a) {
    const on = Boolean(a && a.active);
    this.banner.hidden = !on;
    if (!on) return;
    this.banner.dataset.kind = a.kind || 'collapse';
    setText(this.banner.querySelector('.alarm-message'), `⚠ ${a.message || `Mode collapse: ${a.modes_captured} of ${a.modes_total} modes captured`}`);
    setText(this.banner.querySelector('.alarm-cause'), a.cause ? `Likely cause: ${a.cause}` : '');
  }

  /** Discriminator rejection sampling: acceptance and metrics before → after, or '–' when off. */
  drs(d, metrics) {
    if (!d || !d.on) {
      setText(this.drsEl, 'off');
      return;
    }
    const after = d.metrics_after || {};
    const m = metrics || {};
    const parts = [`accepts ${pct(d.acceptance)}`, `JS ${fmt(m.js, 3)} → ${fmt(after.js, 3)}`];
    if (m.modes_total) {
      parts.push(`modes ${m.modes_captured} → ${after.modes_captured ?? '–'} / ${m.modes_total}`);
      parts.push(`HQ ${pct(m.high_quality)} → ${pct(after.high_quality)}`);
    }
    setText(this.drsEl, parts.join(' · '));
    this.drsEl.title = `Discriminator rejection sampling: ${parts.join(', ')} (γ = ${fmt(d.gamma, 2)}, percentile ${d.percentile})`;
  }

  /** Neutral status (connection, pause reason); shown unless a notice or an error is on screen. */
  status(msg) {
    this.baseStatus = msg;
    if (performance.now() >= this.holdUntil) this.show(msg, 'info');
  }

  /** A success worth saying: replaces any error on screen and stays a few seconds. */
  notice(msg) {
    this.hold(msg, 'notice', NOTICE_SHOW_MS);
  }

  /** An error: shown for a while, then the neutral status comes back. */
  error(msg) {
    this.hold(msg, 'error', ERROR_SHOW_MS);
  }

  hold(msg, kind, ms) {
    this.holdUntil = performance.now() + ms;
    this.show(msg, kind);
    clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => this.show(this.baseStatus, 'info'), ms);
  }

  show(msg, kind) {
    const el = this.el['status-message'];
    el.textContent = msg;
    el.dataset.kind = kind;
    el.title = msg;
  }
}
