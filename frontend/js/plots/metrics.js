// plots/metrics.js — KL and JS divergence (by grid, in bits) over iterations (a LineChart with two series).

import { LineChart } from './linechart.js';
import { COLORS } from './common.js';

export function createMetricsChart(div, Plotly) {
  const chart = new LineChart(div, Plotly, [
    { key: 'kl', label: 'KL (by grid)', color: COLORS.kl },
    { key: 'js', label: 'JS (by grid)', color: COLORS.js },
  ], { yTitle: 'bits', yMin: 0 });
  return {
    /** header.metrics = {kl, js, ...} (nulls allowed). */
    push: (iteration, metrics) => chart.push(iteration, metrics || {}),
    clear: () => chart.clear(),
    chart,
  };
}
