// plots/thumbs.js — tiny canvas drawings (heatmap, points, polylines) for the model overview's nodes.

import { D_COLORSCALE, expectShape } from './common.js';

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** 256-entry RGB lookup table of the D colorscale. */
const LUT = (() => {
  const stops = D_COLORSCALE.map(([t, c]) => [t, hexToRgb(c)]);
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i += 1) {
    const t = i / 255;
    let k = 0;
    while (k < stops.length - 2 && t > stops[k + 1][0]) k += 1;
    const [t0, c0] = stops[k];
    const [t1, c1] = stops[k + 1];
    const f = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
    for (let j = 0; j < 3; j += 1) lut[3 * i + j] = c0[j] + f * (c1[j] - c0[j]);
  }
  return lut;
})();

/** The colour of a D value in [0, 1] as 'rgb(r,g,b)'. */
export function dColor(v) {
  const i = 3 * Math.round(255 * Math.min(1, Math.max(0, v)));
  return `rgb(${LUT[i]},${LUT[i + 1]},${LUT[i + 2]})`;
}

const scratch = document.createElement('canvas');

/** Draw an R×C matrix of D values (row 0 = bottom of the plane) filling the canvas. */
export function drawHeatmap(canvas, m) {
  const [rows, cols] = expectShape('thumb heatmap', m, [null, null]);
  scratch.width = cols;
  scratch.height = rows;
  const sctx = scratch.getContext('2d');
  const img = sctx.createImageData(cols, rows);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < cols; c += 1) {
      const v = m.data[r * cols + c];
      const k = 3 * Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0.5)));
      const o = 4 * ((rows - 1 - r) * cols + c);
      img.data[o] = LUT[k];
      img.data[o + 1] = LUT[k + 1];
      img.data[o + 2] = LUT[k + 2];
      img.data[o + 3] = 255;
    }
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}

function projector(canvas, view) {
  const [x0, x1] = view.x;
  const [y0, y1] = view.y;
  return (x, y) => [((x - x0) / (x1 - x0)) * canvas.width, canvas.height - ((y - y0) / (y1 - y0)) * canvas.height];
}

/** Clear the canvas to white. */
export function clear(canvas) {
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
}

/** Draw N×2 points as small dots. */
export function drawPoints(canvas, pts, view, color, radius = 1.6) {
  expectShape('thumb points', pts, [null, 2]);
  const ctx = canvas.getContext('2d');
  const at = projector(canvas, view);
  ctx.fillStyle = color;
  for (let i = 0; i < pts.shape[0]; i += 1) {
    const [px, py] = at(pts.data[2 * i], pts.data[2 * i + 1]);
    ctx.fillRect(px - radius, py - radius, 2 * radius, 2 * radius);
  }
}

/** Draw polylines given as {x, y} arrays with null separators. */
export function drawPolylines(canvas, lines, view, color) {
  const ctx = canvas.getContext('2d');
  const at = projector(canvas, view);
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < lines.x.length; i += 1) {
    if (lines.x[i] === null) {
      pen = false;
    } else {
      const [px, py] = at(lines.x[i], lines.y[i]);
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
  }
  ctx.stroke();
}
