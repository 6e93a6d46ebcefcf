// plots/distribution.js — the layered distribution plot: D(x) heatmap + 0.5 contour, real/fake points (DRS-rejected ones faded), gradients, manifold, slow-motion batch.

import {
  COLORS, D_COLORSCALE, expectShape, columns, segments, gridLines, matrixRows,
} from './common.js';

/** Trace order = drawing order (bottom to top). `layer` names the toggle that shows it. */
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
const MAX_ARROWS = 300;

function markers(color, size, opacity) {
  return { mode: 'markers', marker: { color, size, opacity, line: { width: 0 } } };
}

function stageMarkers(outline, d) {
  return {
    mode: 'markers',
    marker: {
      color: d, cmin: 0, cmax: 1, colorscale: D_COLORSCALE, size: 8,
      line: { color: outline, width: 1.6 },
    },
  };
}

/** z[r][c] is D at the centre of cell (r, c) of an R×C tiling of the view (row = y, upwards). */
function gridTrace(type, z, view, extra) {
  const dx = (view.x[1] - view.x[0]) / z[0].length;
  const dy = (view.y[1] - view.y[0]) / z.length;
  return {
    type, z, x0: view.x[0] + dx / 2, dx, y0: view.y[0] + dy / 2, dy,
    zmin: 0, zmax: 1, showscale: false, hoverinfo: 'skip', ...extra,
  };
}

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
  /** `div`: the element Plotly draws into; `Plotly`: the global plotly.js object. */
  constructor(div, Plotly) {
    this.div = div;
    this.Plotly = Plotly;
    this.layers = { real: true, fake: true, heatmap: true, gradients: true, manifold: true };
    this.last = null;
    this.blank = null; // a view to show empty (draw mode) instead of the frames
  }

  setLayers(layers) {
    this.layers = { ...this.layers, ...layers };
    this.redraw();
  }

  /** Show an empty plane `view` (draw mode: frames are kept but not drawn), or the frames again (null); a promise. */
  setBlank(view) {
    this.blank = view;
    if (!view) {
      this.redraw();
      return Promise.resolve();
    }
    // an invisible trace: without one Plotly leaves the axes unconstrained (the plane would not be square)
    const corners = { type: 'scatter', mode: 'markers', x: view.x, y: view.y, marker: { opacity: 0 }, hoverinfo: 'skip' };
    return this.Plotly.react(this.div, [corners], this.layout(view, 'blank'), { displayModeBar: false, responsive: true });
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

  /** Draw one frame: `view` = {x:[x0,x1], y:[y0,y1]}, `sections` = {name: {shape, data}}. Throws on wrong shapes. */
  update(view, sections, revision) {
    checkView(view);
    checkSections(sections);
    this.last = { view, sections, revision };
    if (!this.blank) this.draw(view, sections, revision);
  }

  draw(view, s, revision) {
    const z = matrixRows(s.heatmap);
    const staged = ['stage_real', 'stage_fake'].some((k) => s[k] && s[k].shape[0] > 0);
    const dim = staged ? 0.3 : 1;
    const fakes = splitByMask(s.fake, s.drs_mask);
    const traces = {
      heatmap: gridTrace('heatmap', z, view, { colorscale: D_COLORSCALE, opacity: 0.55, zsmooth: false }),
      contour: gridTrace('contour', z, view, {
        contours: { start: 0.5, end: 0.5, size: 1, coloring: 'none' },
        line: { color: COLORS.contour, width: 1.5, dash: 'dot' },
      }),
      manifold: { type: 'scattergl', mode: 'lines', line: { color: COLORS.manifold, width: 1 }, ...(s.manifold ? gridLines(s.manifold) : EMPTY) },
      real: { type: 'scattergl', ...markers(COLORS.real, 4.5, 0.8 * dim), ...columns(s.real) },
      gradients: { type: 'scattergl', mode: 'lines', line: { color: COLORS.gradient, width: 1 }, opacity: 0.6 * dim, ...segments(s.fake, s.gradients, MAX_ARROWS) },
      'fake rejected': { type: 'scattergl', ...markers(COLORS.fake, 4, 0.16 * dim), ...fakes.rejected },
      fake: { type: 'scattergl', ...markers(COLORS.fake, 4.5, 0.9 * dim), ...fakes.kept },
      'stage real': { type: 'scattergl', ...this.stagePoints(s, 'real') },
      'stage fake': { type: 'scattergl', ...this.stagePoints(s, 'fake') },
      'stage gradients': { type: 'scattergl', mode: 'lines', line: { color: COLORS.gradient, width: 2 }, ...this.stageArrows(s) },
    };
    const data = TRACES.map((t) => ({
      name: t.name, hoverinfo: 'skip', ...traces[t.name], visible: Boolean(this.layers[t.layer]),
    }));
    this.Plotly.react(this.div, data, this.layout(view, revision), { displayModeBar: false, responsive: true });
  }

  stagePoints(s, which) {
    const pts = s['stage_' + which];
    if (!pts || pts.shape[0] === 0) return { mode: 'markers', ...EMPTY };
    const d = s['stage_d_' + which];
    const fill = d && d.shape[0] > 0 ? Array.from(d.data) : '#fff';
    return { ...stageMarkers(COLORS[which], fill), ...columns(pts) };
  }

  stageArrows(s) {
    if (!s.stage_grad || s.stage_grad.shape[0] === 0 || !s.stage_fake || s.stage_fake.shape[0] === 0) return EMPTY;
    return segments(s.stage_fake, s.stage_grad);
  }

  layout(view, revision) {
    const axis = (range) => ({
      range: range.slice(), fixedrange: true, showgrid: false, zeroline: false,
      ticks: 'outside', ticklen: 3, tickfont: { size: 10, color: COLORS.text }, linecolor: '#bbb', mirror: true,
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
      datarevision: revision,
      uirevision: 'keep',
    };
  }
}
