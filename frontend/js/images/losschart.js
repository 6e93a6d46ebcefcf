// images/losschart.js — the image GAN's loss chart over epochs: D and G loss per step (thin) and per-epoch means (markers) from the frames' `epochs`.

import { LineChart } from '../plots/linechart.js';
import { COLORS, keepSized } from '../plots/common.js';

const SERIES = [{ key: 'd', label: 'D loss', color: COLORS.d }, { key: 'g', label: 'G loss', color: COLORS.g }];

export class ImageLossChart extends LineChart {
  constructor(div, Plotly) {
    super(div, Plotly, SERIES, { yTitle: 'loss', emptyText: 'press Play or Step', maxPoints: 1500 });
    this.epochs = [];
    keepSized(div, Plotly);
  }

  /** One frame header: its per-step losses at x = epochs done (float), and the per-epoch means. */
  pushHeader(h) {
    if (typeof h.epoch !== 'number' || !Number.isFinite(h.epoch)) return;
    const l = h.losses || {};
    this.push(h.epoch, { d: l.d, g: l.g });
    const epochs = Array.isArray(h.epochs) ? h.epochs : [];
    const last = epochs[epochs.length - 1];
    const known = this.epochs[this.epochs.length - 1];
    if (epochs.length !== this.epochs.length || (last && known && last.epoch !== known.epoch)) {
      this.epochs = epochs.slice();
      this.scheduleDraw();
    }
  }

  clear(source) {
    this.epochs = [];
    super.clear(source);
  }

  traces() {
    const steps = super.traces().map((t) => ({ ...t, line: { ...t.line, width: 1 }, opacity: 0.75 }));
    const epochs = this.epochs || []; // the base constructor draws before this.epochs exists
    const means = SERIES.map((s) => ({
      type: 'scatter', mode: 'lines+markers', name: `${s.label[0]} epoch mean`,
      x: epochs.map((e) => e.epoch), y: epochs.map((e) => e[s.key]),
      line: { color: s.color, width: 2.5, dash: 'dot' }, marker: { color: s.color, size: 8, symbol: 'diamond' },
      hovertemplate: `${s.label} mean %{y:.3g}<br>epoch %{x}<extra></extra>`,
    }));
    return [...steps, ...means];
  }

  layout(empty) {
    const layout = super.layout(empty);
    layout.xaxis = { ...layout.xaxis, title: { text: 'epochs', font: { size: 11 } } };
    layout.margin = { ...layout.margin, b: 34 };
    layout.legend = { ...layout.legend, font: { size: 11 } };
    return layout;
  }
}
