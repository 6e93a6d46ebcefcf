// plots/common.js — palette, loud shape checks and array→trace geometry shared by the plot widgets.

export const COLORS = {
  real: '#1b7837',
  fake: '#762a83',
  gradient: '#e7298a',
  manifold: 'rgba(118, 42, 131, 0.38)',
  contour: '#303030',
  d: '#3b7dd8',
  g: '#a05cc4',
  kl: '#e07b39',
  js: '#d4a017',
  grid: '#e4e4e4',
  text: '#444',
  b: '#0f8b8d', // session B in compare mode
  modes: '#c0392b',
  quality: '#7f8c8d',
};

/**
 * Resize the Plotly plot in `div` whenever its box changes size (panels split in compare mode, a
 * banner appears): Plotly's own `responsive` only follows the window.
 */
export function keepSized(div, Plotly) {
  let frame = null;
  const ro = new ResizeObserver(() => {
    if (frame !== null) return;
    frame = requestAnimationFrame(() => {
      frame = null;
      if (div.offsetParent !== null && div._fullLayout) Plotly.Plots.resize(div);
    });
  });
  ro.observe(div);
  return ro;
}

/** Diverging purple (D = 0, fake-ish) → white (0.5) → green (D = 1, real-ish), like GAN Lab. */
export const D_COLORSCALE = [
  [0.0, '#762a83'], [0.2, '#af8dc3'], [0.4, '#e7d4e8'], [0.5, '#f7f7f7'],
  [0.6, '#d9f0d3'], [0.8, '#7fbf7b'], [1.0, '#1b7837'],
];

/**
 * Throw unless `arr` is {shape, data} whose shape matches `pattern` (numbers must match exactly,
 * null = any) and whose data length is the product of the shape. Returns the shape.
 */
export function expectShape(name, arr, pattern) {
  if (!arr || !Array.isArray(arr.shape) || !arr.data || typeof arr.data.length !== 'number') {
    throw new Error(`${name}: expected {shape, data}, got ${describe(arr)}`);
  }
  const { shape, data } = arr;
  const ok = shape.length === pattern.length && pattern.every((p, i) => p === null || p === shape[i]);
  if (!ok) throw new Error(`${name}: shape ${JSON.stringify(shape)} does not match ${JSON.stringify(pattern)}`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`${name}: ${data.length} values for shape ${JSON.stringify(shape)}`);
  return shape;
}

function describe(x) {
  if (x === null || x === undefined) return String(x);
  return typeof x === 'object' ? `{${Object.keys(x).join(', ')}}` : typeof x;
}

/** N×2 points → {x: [...], y: [...]} plain arrays. */
export function columns(points) {
  const n = points.shape[0];
  const x = new Array(n);
  const y = new Array(n);
  for (let i = 0; i < n; i += 1) {
    x[i] = points.data[2 * i];
    y[i] = points.data[2 * i + 1];
  }
  return { x, y };
}

/**
 * Line segments p → p + v separated by nulls (one trace for all arrows); with `max`, only every
 * k-th point so that at most `max` arrows are drawn (a readable field instead of a pink blanket).
 */
export function segments(points, vectors, max = Infinity) {
  const n = points.shape[0];
  const stride = Math.max(1, Math.ceil(n / max));
  const p = points.data;
  const v = vectors.data;
  const x = [];
  const y = [];
  for (let i = 0; i < n; i += stride) {
    x.push(p[2 * i], p[2 * i] + v[2 * i], null);
    y.push(p[2 * i + 1], p[2 * i + 1] + v[2 * i + 1], null);
  }
  return { x, y };
}

/** rows×cols×2 grid → its rows and its columns as polylines separated by nulls. */
export function gridLines(grid) {
  const [rows, cols] = grid.shape;
  const d = grid.data;
  const x = [];
  const y = [];
  const visit = (outer, inner, index) => {
    for (let a = 0; a < outer; a += 1) {
      for (let b = 0; b < inner; b += 1) {
        const k = 2 * index(a, b);
        x.push(d[k]);
        y.push(d[k + 1]);
      }
      x.push(null);
      y.push(null);
    }
  };
  visit(rows, cols, (r, c) => r * cols + c);
  if (rows > 1) visit(cols, rows, (c, r) => r * cols + c);
  return { x, y };
}

/** R×C matrix → array of R plain row arrays (Plotly's z). */
export function matrixRows(m) {
  const [rows, cols] = m.shape;
  const out = new Array(rows);
  for (let r = 0; r < rows; r += 1) out[r] = Array.from(m.data.subarray(r * cols, (r + 1) * cols));
  return out;
}

/** Format a number for a readout; '–' for null / non-finite. */
export function fmt(v, digits = 3) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–';
}
