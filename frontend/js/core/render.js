// core/render.js — draws one decoded frame (called once per animation frame with the newest one): the counter every frame, the other readouts and the overview a few times a second, the distribution plot or the image view.

const DRAW_MS_KEPT = 600; // window.gandojo.drawMs: the last draw times (benchmarks/bench_page.py)
const READOUTS_MS = 200; // numbers changing 30 times a second cannot be read anyway
const OVERVIEW_MS = 150;

/** The 2D lab's drawing of a frame: alarm, DRS line, overview and distribution plot. `w`: {state, readouts, dist, overview}. */
export function makeDraw2d(w) {
  let overviewDrawn = 0;
  return function draw2d({ header: h, sections }) {
    w.readouts.alarm(h.alarm);
    w.readouts.drs(h.drs, h.metrics);
    w.overview.setStage(h.stage || null);
    document.body.classList.toggle('in-stage', Boolean(h.stage));
    w.dist.update(h.view, sections, h.iteration, h.stage, Math.min(900, 0.6 * w.state.stageMs));
    // the overview's thumbnails and bars: a few times a second (every frame of a slow-motion stage)
    const now = performance.now();
    if (h.stage || now - overviewDrawn >= OVERVIEW_MS || !w.state.running) {
      overviewDrawn = now;
      w.overview.update(h, sections);
    }
  };
}

/**
 * `w`: {state, readouts, progress, draw(frame) (the frame's kind draws it), counter (element),
 * handle (window.gandojo)}. Returns render(frame) for pump.js / the timeline.
 */
export function makeRender(w) {
  let readoutsShown = 0;

  return function render(frame) {
    const h = frame.header;
    const t0 = performance.now();
    // the counter follows every drawn frame: it is the iteration of the frame on screen
    if (h.stage || !w.state.running || t0 - readoutsShown >= READOUTS_MS) {
      readoutsShown = t0;
      w.readouts.update(h);
      w.progress.show(h.iteration);
    } else {
      w.counter.textContent = String(h.iteration);
    }
    w.draw(frame);
    const g = w.handle();
    g.drawMs.push(performance.now() - t0);
    if (g.drawMs.length > DRAW_MS_KEPT) g.drawMs.splice(0, g.drawMs.length - DRAW_MS_KEPT);
    g.frames += 1;
    g.header = h;
    g.sections = frame.sections;
  };
}
