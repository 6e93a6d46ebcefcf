// lab/runprogress.js — "Run N": the progress bar in the status line while the session trains to a given iteration (`until`), and the notice when it stops there.

export class RunProgress {
  /** `el`: the progress element (a span inside fills it); `deps`: {status(msg), notice(msg), shown() → iteration on screen}. */
  constructor(el, deps) {
    this.el = el;
    this.deps = deps;
    this.until = null;
    this.from = 0;
  }

  /** Show the way to iteration `until` from the one on screen (null: no end set, the bar goes). */
  runTo(until) {
    this.until = until;
    this.from = this.deps.shown();
    this.el.hidden = until === null;
    this.show(this.from);
  }

  /** The bar and the status line at `iteration` (nothing while no end is set). */
  show(iteration) {
    if (this.until === null) return;
    const { from, until } = this;
    const share = Math.min(1, Math.max(0, (iteration - from) / Math.max(1, until - from)));
    this.el.firstElementChild.style.width = `${(100 * share).toFixed(1)}%`;
    this.el.title = `iteration ${iteration.toLocaleString('en-US')} of ${until.toLocaleString('en-US')}`;
    this.deps.status(`Training to iteration ${until.toLocaleString('en-US')}: ${Math.round(100 * share)}%`);
  }

  /** A `state` message: follows its `until`; true when a run to N has just ended (the notice said so). */
  state(m) {
    const target = m.running && typeof m.until === 'number' ? m.until : null;
    const ended = this.until !== null && target === null && !m.running;
    if (target !== this.until) this.runTo(target);
    if (ended) this.deps.notice(`Stopped at iteration ${(m.iteration ?? this.deps.shown()).toLocaleString('en-US')} (Run N)`);
    return ended || target !== null;
  }
}
