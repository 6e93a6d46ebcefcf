// plots/distribution.js — the layered distribution plot: Plotly draws the axes (and hover-free frame); the D(x) heatmap + 0.5 contour, points (DRS-rejected fakes faded), gradients, manifold and slow-motion batch are drawn on a canvas over its plot area (plots/canvaslayers.js).

import { COLORS, expectShape, columns, segments, gridLines } from './common.js';
import { CanvasLayers } from './canvaslayers.js';

/** The layers as named series (drawing order, bottom to top) and the toggle that shows each: `trace(name)` reads them. */
const TRACES = [
  { name: 'heatmap', layer: 'heatmap' },
  { name: 'contour', layer: 'heatmap' },
  { name: 'manifold', layer: 'manifold' },
  { name: 'real', layer: 'real' },
  { name: 'gradients', layer: 'gradients' },
  { name: 'fake rejected', layer: 'fake' },
  { name: 'fake', layer: 'fake' },
  { name: 'stage real', layer: 'real' },
  { name: 'stage fake', layer: 'fake' },
  { name: 'stage gradients', layer: 'gradients' },
];

const EMPTY = { x: [], y: [] };
/** Slow-motion stages that change the models (D update, G update) and the layers that move with them. */
const TWEEN_STAGES = new Set([5, 10]);
const TWEEN_KEYS = ['heatmap', 'fake', 'gradients', 'manifold'];
const MAX_ARROWS = 300;
function checkSections(s) {
  const [m] = expectShape('fake', s.fake, [null, 2]);
  expectShape('real', s.real, [null, 2]);
  expectShape('gradients', s.gradients, [m, 2]);
  const [r] = expectShape('heatmap', s.heatmap, [null, null]);
  if (r < 1) throw new Error('heatmap: empty');
  expectShape('heatmap', s.heatmap, [r, r]);
  if (s.manifold) expectShape('manifold', s.manifold, [null, null, 2]);
  if (s.drs_mask) expectShape('drs_mask', s.drs_mask, [m]);
  ['real', 'fake'].forEach((which) => {
    if (!s['stage_' + which]) return;
    const [b] = expectShape('stage_' + which, s['stage_' + which], [null, 2]);
    expectOptional('stage_d_' + which, s['stage_d_' + which], [b]);
    if (which === 'fake') expectOptional('stage_grad', s.stage_grad, [b, 2]);
  });
}

/** Fakes split by the DRS mask (1 = accepted): {kept, rejected} as {x, y}; all kept without a mask. */
function splitByMask(fake, mask) {
  const all = columns(fake);
  if (!mask) return { kept: all, rejected: EMPTY };
  const kept = { x: [], y: [] };
  const rejected = { x: [], y: [] };
  all.x.forEach((x, i) => {
    const to = mask.data[i] > 0.5 ? kept : rejected;
    to.x.push(x);
    to.y.push(all.y[i]);
  });
  return { kept, rejected };
}

/** A stage section that is either missing, empty (0 rows, not produced yet) or of the given shape. */
function expectOptional(name, arr, pattern) {
  if (arr === undefined || arr.shape[0] === 0) return;
  expectShape(name, arr, pattern);
}

function checkView(view) {
  const ok = view && [view.x, view.y].every((r) => Array.isArray(r) && r.length === 2 && r[0] < r[1]);
  if (!ok) throw new Error(`distribution: bad view ${JSON.stringify(view)}`);
}

export class DistributionPlot {
  /** `div`: the element Plotly draws the axes into; `Plotly`: the global plotly.js object. */
  constructor(div, Plotly) {
    this.div = div;
    this.Plotly = Plotly;
    this.layers = { real: true, fake: true, heatmap: true, gradients: true, manifold: true };
    this.last = null;
    this.blank = null; // a view to show empty (draw mode) instead of the frames
    this.axesView = null; // the view Plotly's axes show now
    this.axesReady = null;
    if (getComputedStyle(div).position === 'static') div.style.position = 'relative';
    this.canvas = new CanvasLayers(div);
    this.pending = false;
    new ResizeObserver(() => this.placeCanvas()).observe(div);
  }

  setLayers(layers) {
    this.layers = { ...this.layers, ...layers };
    this.redraw();
  }

  /** Show an empty plane `view` (draw mode: frames are kept but not drawn), or the frames again (null); a promise. */
  setBlank(view) {
    this.blank = view;
    if (!view) {
      this.axesView = null;
      this.redraw();
      return this.axesReady || Promise.resolve();
    }
    this.canvas.clear();
    return this.axes(view);
  }

  redraw() {
    if (this.last && !this.blank) this.draw(this.last.view, this.last.sections, this.last.revision);
  }

  /** Pixel box {left, top, width, height} inside the div of the data rectangle `view` (for the drawing overlay). */
  pixelBox(view) {
    const fl = this.div._fullLayout;
    if (!fl || !fl.xaxis || !fl.yaxis || !Number.isFinite(fl.xaxis._length)) throw new Error('distribution: not drawn yet');
    const px = (ax, v) => ((v - ax.range[0]) / (ax.range[1] - ax.range[0])) * ax._length;
    const left = fl.xaxis._offset + px(fl.xaxis, view.x[0]);
    const top = fl.yaxis._offset + fl.yaxis._length - px(fl.yaxis, view.y[1]);
    return { left, top, width: px(fl.xaxis, view.x[1]) - px(fl.xaxis, view.x[0]), height: px(fl.yaxis, view.y[1]) - px(fl.yaxis, view.y[0]) };
  }

  /**
   * Draw one frame: `view` = {x:[x0,x1], y:[y0,y1]}, `sections` = {name: {shape, data}}. Throws on
   * wrong shapes. `stage` (slow motion): the update stages (D update, G update) move from the last
   * frame to this one over `tweenMs`, so that one sees the heatmap / the fakes move.
   */
  update(view, sections, revision, stage = null, tweenMs = 0) {
    checkView(view);
    checkSections(sections);
    const before = this.last;
    this.last = { view, sections, revision };
    this.stopTween();
    if (this.blank) return;
    this.draw(view, sections, revision);
    if (stage && TWEEN_STAGES.has(stage.index) && tweenMs > 0 && before) this.tween(before.sections, sections, tweenMs);
  }

  /** Redraw the in-between frames from `a` to `b` (the sections both have with equal sizes) for `ms`. */
  tween(a, b, ms) {
    const keys = TWEEN_KEYS.filter((k) => a[k] && b[k] && a[k].data.length === b[k].data.length);
    if (!keys.length) return;
    const mixed = { ...b };
    keys.forEach((k) => { mixed[k] = { shape: b[k].shape, data: new Float32Array(b[k].data.length) }; });
    const t0 = performance.now();
    const step = () => {
      const f = Math.min(1, (performance.now() - t0) / ms);
      const e = f * f * (3 - 2 * f); // ease in and out
      keys.forEach((k) => {
        const x = a[k].data;
        const y = b[k].data;
        const out = mixed[k].data;
        for (let i = 0; i < out.length; i += 1) out[i] = x[i] + e * (y[i] - x[i]);
      });
      this.canvas.draw(f < 1 ? mixed : b, this.layers);
      this.tweening = f < 1 ? requestAnimationFrame(step) : null;
    };
    this.tweening = requestAnimationFrame(step);
  }

  stopTween() {
    if (this.tweening) cancelAnimationFrame(this.tweening);
    this.tweening = null;
  }

  /** Plotly draws the axes of `view` (only when the view changes); the canvas follows its plot area. */
  axes(view) {
    const same = this.axesView && this.axesView.x.join() === view.x.join() && this.axesView.y.join() === view.y.join();
    if (same) return this.axesReady;
    this.axesView = { x: view.x.slice(), y: view.y.slice() };
    // an invisible trace: without one Plotly leaves the axes unconstrained (the plane would not be square)
    const corners = { type: 'scatter', mode: 'markers', x: view.x, y: view.y, marker: { opacity: 0 }, hoverinfo: 'skip' };
    this.axesReady = this.Plotly.react(this.div, [corners], this.layout(view), { displayModeBar: false, responsive: true })
      .then(() => {
        if (!this.bound && this.div.on) {
          this.bound = true;
          this.div.on('plotly_afterplot', () => this.placeCanvas());
        }
        this.placeCanvas();
      });
    return this.axesReady;
  }

  /** Put the canvas over Plotly's plot area and redraw the last frame on it. */
  placeCanvas() {
    const fl = this.div._fullLayout;
    if (!fl || !fl.xaxis || !Number.isFinite(fl.xaxis._length) || !this.axesView) return;
    const box = { left: fl.xaxis._offset, top: fl.yaxis._offset, width: fl.xaxis._length, height: fl.yaxis._length };
    const view = { x: fl.xaxis.range.slice(), y: fl.yaxis.range.slice() };
    this.canvas.place(box, view);
    if (this.blank) this.canvas.clear();
    else if (this.last) this.paint();
  }

  draw(view, s, revision) {
    this.axes(view);
    this.paint();
    this.div.dataset.drawnIteration = String(revision);
  }

  paint() {
    if (!this.last || this.blank) return;
    this.canvas.draw(this.last.sections, this.layers);
  }

  /** A layer as a named series {name, x, y, visible} of the frame last given (for tests and the console). */
  trace(name) {
    const t = TRACES.find((tr) => tr.name === name);
    if (!t) throw new Error(`distribution: no layer ${name}`);
    const s = this.last ? this.last.sections : null;
    const visible = Boolean(this.layers[t.layer]);
    if (!s) return { name, visible, ...EMPTY };
    const fakes = splitByMask(s.fake, s.drs_mask);
    const of = {
      heatmap: () => EMPTY, contour: () => EMPTY,
      manifold: () => (s.manifold ? gridLines(s.manifold) : EMPTY),
      real: () => columns(s.real),
      gradients: () => segments(s.fake, s.gradients, MAX_ARROWS),
      'fake rejected': () => fakes.rejected,
      fake: () => fakes.kept,
      'stage real': () => (s.stage_real ? columns(s.stage_real) : EMPTY),
      'stage fake': () => (s.stage_fake ? columns(s.stage_fake) : EMPTY),
      'stage gradients': () => (s.stage_grad && s.stage_fake && s.stage_grad.shape[0] ? segments(s.stage_fake, s.stage_grad) : EMPTY),
    };
    return { name, visible, ...of[name]() };
  }

  layout(view) {
    const axis = (range) => ({
      range: range.slice(), fixedrange: true, showgrid: false, zeroline: false,
      ticks: 'outside', ticklen: 3, tickfont: { size: 11, color: COLORS.text }, linecolor: '#bbb', mirror: true,
    });
    return {
      xaxis: { ...axis(view.x), constrain: 'domain' },
      yaxis: { ...axis(view.y), scaleanchor: 'x', scaleratio: 1, constrain: 'domain' },
      margin: { l: 34, r: 8, t: 8, b: 24 },
      showlegend: false,
      hovermode: false,
      dragmode: false,
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: '#fff',
      uirevision: 'keep',
    };
  }
}
