// plots/charts.js — the metric charts over iterations (one declarative table), grouped in tabs, with session B overlaid in compare mode.

import { LineChart } from './linechart.js';
import { COLORS, keepSized } from './common.js';
import { byTestId } from '../core/dom.js';

/** Each chart: its test id, where its values come from in a frame header, its series and axis options. */
const CHARTS = [
  {
    id: 'plot-losses', from: 'losses', opts: { yTitle: 'loss' },
    series: [{ key: 'd', label: 'D loss', color: COLORS.d }, { key: 'g', label: 'G loss', color: COLORS.g }],
  },
  {
    // KL starts near 17 bits and ends near 0.1: a log axis keeps the end of the run readable
    id: 'plot-metrics', from: 'metrics', opts: { yTitle: 'KL by grid (bits, log)', log: true, y2Title: 'JS (bits)', y2Range: [0, 1.02] },
    series: [{ key: 'kl', label: 'KL', color: COLORS.kl }, { key: 'js', label: 'JS →', color: COLORS.js, axis: 'y2' }],
  },
  {
    id: 'plot-modes', from: 'metrics',
    opts: {
      yTitle: 'modes captured', yMin: 0, yInteger: true, y2Title: 'high quality', y2Range: [0, 1.02], y2Format: '.0%',
      emptyText: 'this dataset has no discrete modes',
    },
    series: [
      { key: 'modes_captured', label: 'modes', color: COLORS.modes },
      { key: 'high_quality', label: 'HQ →', color: COLORS.quality, axis: 'y2' },
    ],
  },
  {
    id: 'plot-accuracy', from: 'metrics', opts: { yTitle: 'D accuracy', yRange: [-0.02, 1.02] },
    series: [{ key: 'd_real_acc', label: 'on real', color: COLORS.real }, { key: 'd_fake_acc', label: 'on fake', color: COLORS.fake }],
  },
  {
    id: 'plot-gradients', from: 'metrics', opts: { yTitle: '‖∇‖ (log)', log: true },
    series: [{ key: 'd_grad_norm', label: '‖∇D‖', color: COLORS.d }, { key: 'g_grad_norm', label: '‖∇G‖', color: COLORS.g }],
  },
  {
    id: 'plot-dmeans', from: 'metrics', opts: { yTitle: 'mean D(x)', yRange: [-0.02, 1.02] },
    series: [{ key: 'd_real_mean', label: 'D(real)', color: COLORS.real }, { key: 'd_fake_mean', label: 'D(fake)', color: COLORS.fake }],
  },
];

/**
 * Where the losses settle when G matches the data and D can only answer D(x) = 1/2 everywhere
 * (for the losses of gan/losses.py; the critic losses have no such level).
 */
export const EQUILIBRIUM = {
  nonsaturating: { d: Math.log(4), g: Math.log(2), dText: 'log 4', gText: 'log 2', dHover: 'D: log 4 ≈ 1.386', gHover: 'G: log 2 ≈ 0.693' },
  minimax: { d: Math.log(4), g: -Math.log(2), dText: 'log 4', gText: '−log 2', dHover: 'D: log 4 ≈ 1.386', gHover: 'G: −log 2 ≈ −0.693' },
  lsgan: { d: 0.25, g: 0.125, dText: '0.25', gText: '0.125', dHover: 'D: 0.25', gHover: 'G: 0.125' },
};

/** Tabs: two charts each (readable on a 1366×768 projector). */
export const CHART_TABS = [
  { name: 'training', label: 'Loss · KL/JS', charts: ['plot-losses', 'plot-metrics'] },
  { name: 'collapse', label: 'Modes · acc.', charts: ['plot-modes', 'plot-accuracy'] },
  { name: 'gradients', label: 'Gradients', charts: ['plot-gradients', 'plot-dmeans'] },
  { name: 'help', label: 'Help', charts: [] }, // a pane of text already in the page (index.html)
];

export class ChartPanel {
  /** `tabBar`: element for the tab buttons; `root`: element holding one pane per tab. */
  constructor(tabBar, root, Plotly) {
    this.charts = {};
    this.panes = {};
    this.buttons = {};
    CHART_TABS.forEach((tab) => {
      let pane = root.querySelector(`[data-tab="${tab.name}"]`);
      if (!pane) {
        pane = document.createElement('div');
        pane.className = 'chart-pane';
        pane.dataset.tab = tab.name;
        root.appendChild(pane);
      }
      this.panes[tab.name] = pane;
      tab.charts.forEach((id) => {
        const div = document.createElement('div');
        div.className = 'chart';
        div.dataset.testid = id;
        pane.appendChild(div);
      });
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = tab.label;
      b.dataset.testid = `chart-tab-${tab.name}`;
      b.setAttribute('role', 'tab');
      b.addEventListener('click', () => this.show(tab.name));
      tabBar.appendChild(b);
      this.buttons[tab.name] = b;
    });
    this.show(CHART_TABS[0].name);
    CHARTS.forEach((c) => {
      const div = byTestId(c.id, root);
      this.charts[c.id] = { spec: c, chart: new LineChart(div, Plotly, c.series, c.opts) };
      keepSized(div, Plotly);
    });
  }

  show(name) {
    Object.entries(this.panes).forEach(([n, pane]) => { pane.hidden = n !== name; });
    Object.entries(this.buttons).forEach(([n, b]) => b.setAttribute('aria-selected', String(n === name)));
    this.current = name;
    const tab = CHART_TABS.find((t) => t.name === name);
    if (tab.charts.length && this.charts[tab.charts[0]]) tab.charts.forEach((id) => this.charts[id].chart.draw());
  }

  /** Record a frame header of session `source` ('a' or 'b'). */
  push(header, source = 'a') {
    Object.values(this.charts).forEach(({ spec, chart }) => chart.push(header.iteration, header[spec.from] || {}, source));
  }

  /** A `history` message (the run so far, as columns: iteration, losses {d, g}, metrics {key: [...]}) of session A. */
  loadHistory(m) {
    if (!Array.isArray(m.iteration)) return;
    const col = (obj, k, i) => (obj && Array.isArray(obj[k]) ? obj[k][i] : null);
    m.iteration.forEach((iteration, i) => {
      const metrics = {};
      Object.keys(m.metrics || {}).forEach((k) => { metrics[k] = col(m.metrics, k, i); });
      this.push({ iteration, losses: { d: col(m.losses, 'd', i), g: col(m.losses, 'g', i) }, metrics });
    });
  }

  clear(source) {
    Object.values(this.charts).forEach(({ chart }) => chart.clear(source));
  }

  setCompare(on) {
    Object.values(this.charts).forEach(({ chart }) => chart.setCompare(on));
  }

  /** Reference lines on the loss chart for loss type `loss` (none for the critic losses). */
  setLoss(loss) {
    const eq = EQUILIBRIUM[loss];
    const refs = eq ? [{ y: eq.d, label: eq.dText, hover: `D's loss at equilibrium, ${eq.dHover}`, color: COLORS.d },
      { y: eq.g, label: eq.gText, hover: `G's loss at equilibrium, ${eq.gHover}`, color: COLORS.g }] : [];
    this.charts['plot-losses'].chart.setRefs(refs);
  }

  /** Mark the iteration the timeline shows (null: live, no mark). */
  mark(iteration) {
    Object.values(this.charts).forEach(({ chart }) => chart.mark(iteration));
  }
}
