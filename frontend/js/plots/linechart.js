// plots/linechart.js — a Plotly line chart of a few series over iterations with bounded, decimated history.

import { COLORS } from './common.js';

const DEFAULT_MAX_POINTS = 2000;
const REDRAW_MS = 200;

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

export class LineChart {
  /**
   * `series`: [{key, label, color}]; `opts`: {yTitle, yMin, maxPoints}.
   * push(iteration, {key: value|null}) records a point; redraws are throttled to 5 per second.
   */
  constructor(div, Plotly, series, opts = {}) {
    this.div = div;
    this.Plotly = Plotly;
    this.series = series;
    this.opts = opts;
    this.hist = Object.fromEntries(series.map((s) => [s.key, new History(opts.maxPoints)]));
    this.lastIteration = -1;
    this.lastDraw = 0;
    this.dirty = false;
    this.timer = null;
    this.draw();
  }

  push(iteration, values) {
    if (!Number.isFinite(iteration)) throw new Error(`linechart: iteration ${iteration} is not a number`);
    if (iteration < this.lastIteration) this.clear(); // a reset started the run again
    this.lastIteration = iteration;
    this.series.forEach((s) => {
      const v = values[s.key];
      if (typeof v === 'number' && Number.isFinite(v)) {
        this.hist[s.key].push(iteration, v);
        this.dirty = true;
      }
    });
    if (this.dirty) this.scheduleDraw();
  }

  /** Redraw at most every REDRAW_MS, and always once after the last change. */
  scheduleDraw() {
    if (this.timer) return;
    const wait = Math.max(0, REDRAW_MS - (performance.now() - this.lastDraw));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draw();
    }, wait);
  }

  clear() {
    Object.values(this.hist).forEach((h) => h.clear());
    this.lastIteration = -1;
    this.dirty = true;
    this.scheduleDraw();
  }

  draw() {
    this.lastDraw = performance.now();
    this.dirty = false;
    const data = this.series.map((s) => ({
      type: 'scatter', mode: this.hist[s.key].x.length < 12 ? 'lines+markers' : 'lines',
      name: s.label, x: this.hist[s.key].x, y: this.hist[s.key].y,
      line: { color: s.color, width: 1.6 }, marker: { color: s.color, size: 4 }, hovertemplate: `${s.label} %{y:.3f}<br>it %{x}<extra></extra>`,
    }));
    const axis = { gridcolor: COLORS.grid, zeroline: false, tickfont: { size: 10, color: COLORS.text }, fixedrange: true };
    const layout = {
      margin: { l: 36, r: 8, t: 6, b: 22 },
      xaxis: { ...axis, rangemode: 'tozero' },
      yaxis: { ...axis, rangemode: this.opts.yMin === 0 ? 'tozero' : 'normal', title: { text: this.opts.yTitle || '', font: { size: 10 } } },
      legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { size: 11 } },
      showlegend: true,
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: '#fff',
      hovermode: 'x unified',
      datarevision: this.lastDraw,
    };
    this.Plotly.react(this.div, data, layout, { displayModeBar: false, responsive: true });
  }
}
