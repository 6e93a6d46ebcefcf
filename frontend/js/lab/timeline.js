// lab/timeline.js — the last N decoded frames of a session (bounded) and the slider that scrubs back through them while paused.

export const TIMELINE_FRAMES = 300;

/** A bounded list of decoded frames {header, sections}, one per iteration (a newer frame of the same iteration replaces it). */
export class FrameHistory {
  constructor(max = TIMELINE_FRAMES) {
    this.max = max;
    this.frames = [];
  }

  get length() { return this.frames.length; }

  get newest() { return this.frames[this.frames.length - 1] || null; }

  push(frame) {
    const last = this.newest;
    if (last && last.header.iteration === frame.header.iteration) this.frames[this.frames.length - 1] = frame;
    else this.frames.push(frame);
    if (this.frames.length > this.max) this.frames.shift();
  }

  at(i) { return this.frames[i] || null; }

  indexOf(frame) { return this.frames.indexOf(frame); }

  /** The newest frame at or before `iteration` (the oldest kept one if all are later), or null. */
  nearest(iteration) {
    for (let i = this.frames.length - 1; i >= 0; i -= 1) {
      if (this.frames[i].header.iteration <= iteration) return this.frames[i];
    }
    return this.frames[0] || null;
  }

  clear() { this.frames = []; }
}

export class Timeline {
  /**
   * `slider`: <input type=range>; `label`: element for the shown iteration; `show(frame|null)`:
   * draw a stored frame (null = back to live). Scrubbing works while paused only.
   */
  constructor(slider, label, show) {
    this.slider = slider;
    this.label = label;
    this.show = show;
    this.history = new FrameHistory();
    this.pinned = null; // the frame on screen while scrubbing; null = live
    this.paused = true;
    slider.addEventListener('input', () => this.scrub(Number(slider.value)));
    this.sync();
  }

  /** A new live frame: stored; a frame of a new iteration ends scrubbing (the session moved on). */
  push(frame) {
    const moved = !this.history.newest || this.history.newest.header.iteration !== frame.header.iteration;
    this.history.push(frame);
    if (this.pinned && moved) this.live();
    this.syncSoon();
    return this.pinned === null;
  }

  setPaused(paused) {
    this.paused = paused;
    if (!paused) this.live();
    this.sync();
  }

  scrub(index) {
    const frame = this.history.at(index);
    if (!frame || !this.paused) return;
    if (index === this.history.length - 1) {
      this.live();
    } else {
      this.pinned = frame;
      this.show(frame);
    }
    this.sync();
  }

  live() {
    if (this.pinned === null) return;
    this.pinned = null;
    this.show(null);
  }

  clear() {
    this.history.clear();
    this.pinned = null;
    this.sync();
  }

  /** Sync at most 5 times a second while playing however many frames arrive (the slider and label cost a layout each). */
  syncSoon() {
    if (this.syncing) return;
    this.syncing = true;
    setTimeout(() => {
      this.syncing = false;
      this.sync();
    }, this.paused ? 0 : 200);
  }

  sync() {
    const n = this.history.length;
    const index = this.pinned ? this.history.indexOf(this.pinned) : n - 1;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.value = String(Math.max(0, index));
    this.slider.disabled = !this.paused || n < 2;
    this.slider.title = this.paused ? `the last ${n} frames kept` : 'pause to scrub back through the last frames';
    const shown = this.pinned || this.history.newest;
    const it = shown ? `iteration ${shown.header.iteration}` : '–';
    this.label.textContent = this.pinned ? `${it} · history` : `${it} · live`;
    this.label.title = this.pinned ? 'a stored frame: drag right to the end, or press Play, for live' : '';
    this.label.classList.toggle('pinned', Boolean(this.pinned));
  }
}
