// core/jobs.js — one runner for a server background job (metrics, the experiment, a dataset download): start it, follow its progress (websocket events and polling GET /api/jobs/{job}), show it in a progress bar, say how it ended.

import { api } from './api.js';

const POLL_MS = 500;

/** The progress bar's words for a job state (running: the percentage). */
export function jobWords({ state, progress, message }) {
  const words = { starting: 'starting…', running: `${Math.round(100 * progress)} %`, done: 'done', cancelled: 'cancelled' };
  return words[state] || `${state}${message ? `: ${message}` : ''}`;
}

export class JobRunner {
  /**
   * `progress`: the bar element (with `.bar > span` and `.text`; data-state / data-progress say where
   * it is). `deps`: {start() → Promise<{job}>, done(result, job state), ended(job state) (failed or
   * cancelled), failed(message, followed) (the job could not
   * start, or — followed — its state could not be read), busy(on) (a job runs or not),
   * words?(job state) → the bar's text}.
   */
  constructor(progress, deps) {
    this.progress = progress;
    this.deps = deps;
    this.job = null;
    this.timer = null;
  }

  /** Start a job (one at a time) and follow it. */
  async run() {
    if (this.job) return;
    this.deps.busy(true);
    this.show({ state: 'starting', progress: 0 });
    let started;
    try {
      started = await this.deps.start();
    } catch (e) {
      this.fail(e.detail || e.message);
      return;
    }
    this.follow(started.job);
  }

  /** Follow a job that runs already (started here, or before the page loaded). */
  follow(job) {
    this.job = job;
    this.deps.busy(true);
    this.show({ state: 'running', progress: 0 });
    this.poll(0);
  }

  /** Poll until the job ends (websocket events usually arrive first). */
  poll(ms = POLL_MS) {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      const { job } = this;
      if (!job) return;
      let m;
      try {
        m = await api.job(job);
      } catch (e) {
        if (job === this.job) this.fail(e.detail || e.message);
        return;
      }
      this.update({ job, ...m });
      if (job === this.job) this.poll();
    }, ms);
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
      this.show({ ...m, progress: 1 });
      this.deps.done(m.result, m);
    } else {
      this.show(m);
      this.deps.ended(m);
    }
  }

  /** It could not start, or (`followed`) its progress cannot be read any more. */
  fail(message) {
    const followed = this.job !== null;
    this.finish();
    this.show({ state: 'failed', progress: 0, message });
    this.deps.failed(message, followed);
  }

  /** No job is followed any more (it may still run on the server). */
  finish() {
    this.job = null;
    clearTimeout(this.timer);
    this.deps.busy(false);
  }

  /** Forget the job and hide the bar (the page moved to another session or dataset). */
  reset() {
    this.finish();
    this.progress.hidden = true;
    this.progress.dataset.state = 'idle';
  }

  show(m) {
    const el = this.progress;
    const p = Math.max(0, Math.min(1, Number(m.progress) || 0));
    el.hidden = false;
    el.dataset.state = m.state;
    el.dataset.progress = p.toFixed(3);
    el.querySelector('.bar > span').style.width = `${(100 * p).toFixed(1)}%`;
    el.querySelector('.text').textContent = (this.deps.words || jobWords)({ ...m, progress: p });
  }
}
