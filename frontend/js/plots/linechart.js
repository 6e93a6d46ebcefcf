// plots/linechart.js — a Plotly line chart of a few series over iterations with bounded, decimated history.

import { COLORS } from './common.js';

const DEFAULT_MAX_POINTS = 1000;
const REDRAW_MS = 1000; // a chart redraws at most once a second: the distribution plot gets the frame rate
const SLOT_MS = 250; // charts take turns (one Plotly redraw per slot), never all in one animation frame
let nextSlot = 0;

/** One series: x/y kept below maxPoints by dropping every other old point (the whole run stays visible). */
export class History {
  constructor(maxPoints = DEFAULT_MAX_POINTS) {
    this.maxPoints = maxPoints;
    this.stride = 1; // keep one point in `stride` iterations' worth of pushes
    this.skipped = 0;
    this.x = [];
    this.y = [];
  }

  push(x, y) {
    if (this.x.length && x <= this.x[this.x.length - 1]) return; // same iteration again
    this.skipped += 1;
    if (this.skipped < this.stride) return;
    this.skipped = 0;
    this.x.push(x);
    this.y.push(y);
    if (this.x.length > this.maxPoints) this.halve();
  }

  halve() {
    this.x = this.x.filter((_, i) => i % 2 === 0);
    this.y = this.y.filter((_, i) => i % 2 === 0);
    this.stride *= 2;
  }

  clear() {
    this.stride = 1;
    this.skipped = 0;
    this.x = [];
    this.y = [];
  }
}

/** Line styles of session B's series (compare mode): one colour for B, dash patterns tell its series apart. */
const B_DASH = ['dash', 'dot', 'dashdot'];

/** Ticks of a log axis over [lo, hi]: 1-2-5 steps (decades when there would be more than 7), written out in full. */
export function logTicks(extent) {
  if (!extent) return {};
  const [lo, hi] = extent;
  const pick = (mantissas) => {
    const vals = [];
    for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e += 1) {
      mantissas.forEach((m) => {
        const v = Number((m * 10 ** e).toPrecision(6));
        if (v >= lo / 1.2 && v <= hi * 1.2) vals.push(v);
      });
    }
    return vals;
  };
  let tickvals = pick([1, 2, 5]);
  if (tickvals.length > 7) tickvals = pick([1]);
  if (tickvals.length < 2) return {};
  return { tickvals, ticktext: tickvals.map((v) => String(v)) };
}

export class LineChart {
  /**
   * `series`: [{key, label, color, axis?: 'y2'}]; `opts`: {yTitle, yMin, yRange, yInteger, y2Title,
   * y2Range, y2Format, log, emptyText, maxPoints}. push(iteration, {key: value|null}, source) records a point of session
   * 'a' (default) or 'b' (compare mode); redraws are throttled to 1 per second, charts taking turns and skipped while hidden.
   */
  constructor(div, Plotly, series, opts = {}) {
    this.div = div;
    this.Plotly = Plotly;
    this.series = series;
    this.opts = opts;
    this.sources = {};
    this.addSource('a');
    this.marker = null;
    this.refs = []; // reference lines [{y, label, color}] (e.g. the losses at equilibrium)
    this.lastDraw = 0;
    this.timer = null;
    this.draw();
  }

  addSource(source) {
    this.sources[source] = {
      lastIteration: -1, hist: Object.fromEntries(this.series.map((s) => [s.key, new History(this.opts.maxPoints)])),
    };
  }

  /** Show (or drop) session B's series. */
  setCompare(on) {
    if (on && !this.sources.b) this.addSource('b');
    if (!on) delete this.sources.b;
    this.scheduleDraw();
  }

  push(iteration, values, source = 'a') {
    if (!Number.isFinite(iteration)) throw new Error(`linechart: iteration ${iteration} is not a number`);
    const src = this.sources[source];
    if (!src) return;
    if (iteration < src.lastIteration) this.clear(source); // a reset started the run again
    src.lastIteration = iteration;
    let changed = false;
    this.series.forEach((s) => {
      const v = values[s.key];
      if (typeof v === 'number' && Number.isFinite(v) && !(this.opts.log && v <= 0)) {
        src.hist[s.key].push(iteration, v);
        changed = true;
      }
    });
    if (changed) this.scheduleDraw();
  }

  /** Horizontal reference lines [{y, label, color}] drawn across the chart. */
  setRefs(refs) {
    this.refs = refs || [];
    this.scheduleDraw();
  }

  /** The largest value of the y-axis series (for integer ticks). */
  /** The smallest and largest positive value on the left axis (a log axis' extent), or null. */
  yExtent() {
    let lo = Infinity;
    let hi = 0;
    Object.values(this.sources).forEach((src) => this.series.forEach((s) => {
      if (s.axis === 'y2') return;
      src.hist[s.key].y.forEach((v) => {
        if (v > 0 && v < lo) lo = v;
        if (v > hi) hi = v;
      });
    }));
    return hi > 0 ? [lo, hi] : null;
  }

  yMax() {
    let m = 0;
    Object.values(this.sources).forEach((src) => this.series.forEach((s) => {
      if (s.axis === 'y2') return;
      src.hist[s.key].y.forEach((v) => { if (v > m) m = v; });
    }));
    return m;
  }

  /** A dashed vertical line at `iteration` (the timeline's frame), or none for null. */
  mark(iteration) {
    if (iteration === this.marker) return;
    this.marker = iteration;
    this.scheduleDraw();
  }

  /** Redraw at most every REDRAW_MS, and always once after the last change. */
  scheduleDraw() {
    if (this.timer) return;
    if (this.div.offsetParent === null && this.drawnOnce) return; // hidden: showing its tab draws it
    const now = performance.now();
    const wait = Math.max(0, REDRAW_MS - (now - this.lastDraw), nextSlot - now);
    nextSlot = now + wait + SLOT_MS;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draw();
    }, wait);
  }

  /** Forget the history of `source` (both when omitted). */
  clear(source) {
    Object.entries(this.sources).forEach(([name, src]) => {
      if (source && name !== source) return;
      Object.values(src.hist).forEach((h) => h.clear());
      src.lastIteration = -1;
    });
    this.scheduleDraw();
  }

  traces() {
    const compare = Boolean(this.sources.b);
    const series = Object.entries(this.sources).flatMap(([name, src]) => this.series.map((s, i) => {
      const h = src.hist[s.key];
      const color = name === 'b' ? COLORS.b : s.color;
      const label = compare ? `${name.toUpperCase()} ${s.label}` : s.label;
      return {
        type: 'scatter', mode: h.x.length < 12 ? 'lines+markers' : 'lines', name: label, x: h.x, y: h.y,
        yaxis: s.axis || 'y', line: { color, width: 1.6, dash: name === 'b' ? B_DASH[i % B_DASH.length] : 'solid' },
        marker: { color, size: 4 }, hovertemplate: `${label} %{y:.3g}<br>it %{x}<extra></extra>`,
      };
    }));
    return series;
  }

  /** The reference lines: dashed across the plot, each labelled in the right margin (never over the curves). */
  refShapes() {
    return this.refs.map((r) => ({
      type: 'line', xref: 'paper', yref: 'y', x0: 0, x1: 1, y0: r.y, y1: r.y, layer: 'below',
      line: { color: r.color, width: 1, dash: 'dash' },
    }));
  }

  refLabels() {
    return this.refs.map((r, i) => ({
      text: r.label, hovertext: r.hover || r.label, xref: 'paper', yref: 'y', x: 1, y: r.y, xanchor: 'left', xshift: 3,
      yanchor: i === 0 ? 'bottom' : 'top', showarrow: false, font: { size: 11, color: r.color },
    }));
  }

  layout(empty) {
    const o = this.opts;
    const axis = { gridcolor: COLORS.grid, zeroline: false, tickfont: { size: 11, color: COLORS.text }, fixedrange: true };
    const yaxis = {
      ...axis, type: o.log ? 'log' : 'linear', rangemode: o.yMin === 0 ? 'tozero' : 'normal',
      title: { text: o.yTitle || '', font: { size: 11 } }, ...(o.yRange ? { range: o.yRange } : {}),
      ...(o.yInteger ? { tickformat: 'd', tick0: 0, dtick: Math.max(1, Math.ceil(this.yMax() / 5)) } : {}),
      ...(o.log ? logTicks(this.yExtent()) : {}),
    };
    const layout = {
      margin: { l: 40, r: this.series.some((s) => s.axis === 'y2') || this.refs.length ? 46 : 8, t: 6, b: 22 },
      xaxis: { ...axis, rangemode: 'tozero' },
      yaxis,
      legend: {
        orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', itemwidth: 30, font: { size: this.sources.b ? 10 : 12 },
        ...(this.sources.b ? { entrywidth: 0.5, entrywidthmode: 'fraction' } : {}), // A and B: two entries a row
      },
      showlegend: true,
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: '#fff',
      hovermode: 'x unified',
      datarevision: this.lastDraw,
      shapes: [...(this.marker === null ? [] : [{
        type: 'line', xref: 'x', yref: 'paper', x0: this.marker, x1: this.marker, y0: 0, y1: 1,
        line: { color: '#555', width: 1, dash: 'dot' },
      }]), ...this.refShapes()],
      annotations: [...(empty && o.emptyText ? [{
        text: o.emptyText, xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, showarrow: false, font: { size: 11, color: COLORS.text },
      }] : []), ...this.refLabels()],
    };
    if (this.series.some((s) => s.axis === 'y2')) {
      layout.yaxis2 = {
        ...axis, overlaying: 'y', side: 'right', showgrid: false, range: o.y2Range, tickformat: o.y2Format || '', tickvals: [0, 0.25, 0.5, 0.75, 1],
        title: { text: o.y2Title || '', font: { size: 11 }, standoff: 2 },
      };
    }
    return layout;
  }

  /** Draw now (skipped while the chart is hidden: the next draw after showing catches up). */
  draw() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.div.offsetParent === null && this.drawnOnce) return;
    this.drawnOnce = true;
    this.lastDraw = performance.now();
    const data = this.traces();
    const empty = data.every((t) => t.x.length === 0);
    this.Plotly.react(this.div, data, this.layout(empty), { displayModeBar: false, responsive: true });
  }
}
