// plots/losses.js — D and G loss over iterations (a LineChart with two series).

import { LineChart } from './linechart.js';
import { COLORS } from './common.js';

export function createLossChart(div, Plotly) {
  const chart = new LineChart(div, Plotly, [
    { key: 'd', label: 'D loss', color: COLORS.d },
    { key: 'g', label: 'G loss', color: COLORS.g },
  ], { yTitle: 'loss' });
  return {
    /** header.losses = {d, g} (nulls allowed). */
    push: (iteration, losses) => chart.push(iteration, losses || {}),
    clear: () => chart.clear(),
    chart,
  };
}
