// plots/canvaslayers.js — the fast-changing layers of the distribution plot drawn on a 2D canvas over Plotly's plot area: D(x) heatmap + 0.5 contour, manifold, points, arrows, slow-motion batch.

import { COLORS, D_COLORSCALE } from './common.js';

const HEATMAP_OPACITY = 0.55; // blended over the white plot background
const MAX_ARROWS = 300;

function hexRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** 256-entry RGBA lookup of D_COLORSCALE at `opacity` over white (opaque result). */
function colourLut(opacity) {
  const stops = D_COLORSCALE.map(([t, c]) => [t, hexRgb(c)]);
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i += 1) {
    const t = i / 255;
    let k = 1;
    while (k < stops.length - 1 && stops[k][0] < t) k += 1;
    const [t0, c0] = stops[k - 1];
    const [t1, c1] = stops[k];
    const f = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    for (let ch = 0; ch < 3; ch += 1) {
      const c = c0[ch] + f * (c1[ch] - c0[ch]);
      lut[4 * i + ch] = 255 + opacity * (c - 255);
    }
    lut[4 * i + 3] = 255;
  }
  return lut;
}

const LUT = colourLut(HEATMAP_OPACITY);
const LUT32 = new Uint32Array(LUT.buffer); // the same colours as one 32-bit pixel each (byte order as in ImageData)
const FULL_LUT = colourLut(1);
const WHITE = new Uint32Array(Uint8ClampedArray.from([255, 255, 255, 255]).buffer)[0];

export class CanvasLayers {
  /** `host`: the plot's element; the canvas is placed inside it, over the plot area, and never takes the mouse. */
  constructor(host) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'dist-canvas';
    Object.assign(this.canvas.style, { position: 'absolute', left: '0px', top: '0px', pointerEvents: 'none', zIndex: 2 });
    host.appendChild(this.canvas);
    this.ctx = this.canvas.getContext('2d');
    this.discs = {}; // disc masks by size
    this.box = null; // {left, top, width, height} in CSS px, and the view it shows
    this.dpr = 1;
  }

  /** Put the canvas over the plot area `box` (CSS px inside the host) that shows data rectangle `view`. */
  place(box, view) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(box.width * dpr));
    const h = Math.max(1, Math.round(box.height * dpr));
    Object.assign(this.canvas.style, { left: `${box.left}px`, top: `${box.top}px`, width: `${box.width}px`, height: `${box.height}px` });
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.dpr = dpr;
    this.box = box;
    this.view = view;
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Draw sections `s` with the layer switches `layers` (sections already shape-checked). */
  draw(s, layers) {
    if (!this.box) return;
    const { ctx } = this;
    const W = this.canvas.width;
    const H = this.canvas.height;
    const [x0, x1] = this.view.x;
    const [y0, y1] = this.view.y;
    const sx = W / (x1 - x0);
    const sy = H / (y1 - y0);
    this.tx = (x) => (x - x0) * sx;
    this.ty = (y) => H - (y - y0) * sy;
    const staged = ['stage_real', 'stage_fake'].some((k) => s[k] && s[k].shape[0] > 0);
    const dim = staged ? 0.3 : 1;
    // pixels first (heatmap, then the points stamped into the same buffer), one putImageData
    const buf = this.buffer(W, H);
    if (layers.heatmap) this.heatmap(buf, s.heatmap);
    else buf.u32.fill(WHITE);
    if (layers.real) this.stamp(buf, s.real, null, COLORS.real, 4.5, 0.8 * dim);
    if (layers.fake) {
      if (s.drs_mask) this.stamp(buf, s.fake, (i) => s.drs_mask.data[i] <= 0.5, COLORS.fake, 4, 0.16 * dim);
      this.stamp(buf, s.fake, s.drs_mask ? (i) => s.drs_mask.data[i] > 0.5 : null, COLORS.fake, 4.5, 0.9 * dim);
    }
    ctx.putImageData(buf.image, 0, 0);
    // then the lines as paths on top
    if (layers.heatmap) this.contour(s.heatmap);
    if (layers.manifold && s.manifold) this.manifold(s.manifold);
    if (layers.gradients) this.arrows(s.fake, s.gradients, MAX_ARROWS, 1, 0.6 * dim);
    if (layers.real) this.stagePoints(s.stage_real, s.stage_d_real, COLORS.real);
    if (layers.fake) this.stagePoints(s.stage_fake, s.stage_d_fake, COLORS.fake);
    if (layers.gradients && s.stage_grad && s.stage_fake && s.stage_grad.shape[0] > 0 && s.stage_fake.shape[0] > 0) {
      this.arrows(s.stage_fake, s.stage_grad, Infinity, 2, 1);
    }
  }

  /** The W×H pixel buffer (kept between frames) with byte and 32-bit views. */
  buffer(W, H) {
    if (!this.buf || this.buf.image.width !== W || this.buf.image.height !== H) {
      const image = this.ctx.createImageData(W, H);
      this.buf = { image, u8: image.data, u32: new Uint32Array(image.data.buffer), W, H };
    }
    return this.buf;
  }

  /** D(x) on the R×C grid, nearest-neighbour scaled to the buffer (row 0 = bottom of the plane). */
  heatmap(buf, m) {
    const [rows, cols] = m.shape;
    const { W, H, u32 } = buf;
    const d = m.data;
    const colOf = new Int32Array(W);
    for (let x = 0; x < W; x += 1) colOf[x] = Math.min(cols - 1, Math.floor((x * cols) / W));
    const line = new Uint32Array(cols);
    let lastRow = -1;
    let first = 0; // the buffer line where the current grid row starts: the next lines copy it
    for (let y = 0; y < H; y += 1) {
      const r = rows - 1 - Math.min(rows - 1, Math.floor((y * rows) / H));
      const o = y * W;
      if (r !== lastRow) {
        for (let c = 0; c < cols; c += 1) {
          const v = d[r * cols + c];
          line[c] = LUT32[v >= 0 && v <= 1 ? Math.round(v * 255) : v > 1 ? 255 : 0];
        }
        for (let x = 0; x < W; x += 1) u32[o + x] = line[colOf[x]];
        lastRow = r;
        first = o;
      } else {
        u32.copyWithin(o, first, first + W);
      }
    }
  }

  /** N×2 points as anti-aliased discs of `color` and diameter `size` (CSS px), alpha-blended into the buffer. */
  stamp(buf, p, keep, color, size, alpha) {
    if (!p || p.shape[0] === 0) return;
    const disc = this.discMask(size);
    const [cr, cg, cb] = hexRgb(color);
    const { W, H, u8 } = buf;
    const d = p.data;
    const { tx, ty } = this;
    const { dx, dy, cover } = disc;
    const n = cover.length;
    for (let i = 0; i < p.shape[0]; i += 1) {
      if (keep && !keep(i)) continue;
      const px = Math.round(tx(d[2 * i]));
      const py = Math.round(ty(d[2 * i + 1]));
      if (!(px >= -8 && px < W + 8 && py >= -8 && py < H + 8)) continue; // NaN or far outside
      for (let k = 0; k < n; k += 1) {
        const x = px + dx[k];
        const y = py + dy[k];
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        const a = alpha * cover[k];
        const o = 4 * (y * W + x);
        u8[o] += (cr - u8[o]) * a;
        u8[o + 1] += (cg - u8[o + 1]) * a;
        u8[o + 2] += (cb - u8[o + 2]) * a;
      }
    }
  }

  /** Pixel offsets and coverage (0..1) of a disc of diameter `size` CSS px at this device pixel ratio. */
  discMask(size) {
    const key = `${size}@${this.dpr}`;
    if (this.discs[key]) return this.discs[key];
    const r = (size / 2) * this.dpr;
    const R = Math.ceil(r);
    const dx = [];
    const dy = [];
    const cover = [];
    for (let y = -R; y <= R; y += 1) {
      for (let x = -R; x <= R; x += 1) {
        const c = Math.min(1, Math.max(0, r + 0.5 - Math.hypot(x, y)));
        if (c > 0) {
          dx.push(x);
          dy.push(y);
          cover.push(c);
        }
      }
    }
    this.discs[key] = { dx: Int32Array.from(dx), dy: Int32Array.from(dy), cover: Float32Array.from(cover) };
    return this.discs[key];
  }

  /** The D = 0.5 line by marching squares over the cell centres, dotted. */
  contour(m) {
    const [rows, cols] = m.shape;
    const d = m.data;
    const { ctx } = this;
    const cw = this.canvas.width / cols;
    const ch = this.canvas.height / rows;
    const X = (c) => (c + 0.5) * cw;
    const Y = (r) => this.canvas.height - (r + 0.5) * ch;
    ctx.beginPath();
    const cut = (a, b) => (0.5 - a) / (b - a);
    for (let r = 0; r < rows - 1; r += 1) {
      for (let c = 0; c < cols - 1; c += 1) {
        const v00 = d[r * cols + c] - 0.5;
        const v01 = d[r * cols + c + 1] - 0.5;
        const v10 = d[(r + 1) * cols + c] - 0.5;
        const v11 = d[(r + 1) * cols + c + 1] - 0.5;
        const pts = [];
        if ((v00 < 0) !== (v01 < 0)) pts.push([X(c + cut(v00 + 0.5, v01 + 0.5)), Y(r)]);
        if ((v01 < 0) !== (v11 < 0)) pts.push([X(c + 1), Y(r + cut(v01 + 0.5, v11 + 0.5))]);
        if ((v10 < 0) !== (v11 < 0)) pts.push([X(c + cut(v10 + 0.5, v11 + 0.5)), Y(r + 1)]);
        if ((v00 < 0) !== (v10 < 0)) pts.push([X(c), Y(r + cut(v00 + 0.5, v10 + 0.5))]);
        for (let k = 0; k + 1 < pts.length; k += 2) {
          ctx.moveTo(pts[k][0], pts[k][1]);
          ctx.lineTo(pts[k + 1][0], pts[k + 1][1]);
        }
      }
    }
    ctx.strokeStyle = COLORS.contour;
    ctx.lineWidth = 1.5 * this.dpr;
    ctx.setLineDash([2 * this.dpr, 3 * this.dpr]);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  manifold(grid) {
    const [rows, cols] = grid.shape;
    const d = grid.data;
    const { ctx, tx, ty } = this;
    ctx.beginPath();
    const line = (n, index) => {
      for (let b = 0; b < n; b += 1) {
        const k = 2 * index(b);
        if (b === 0) ctx.moveTo(tx(d[k]), ty(d[k + 1]));
        else ctx.lineTo(tx(d[k]), ty(d[k + 1]));
      }
    };
    for (let r = 0; r < rows; r += 1) line(cols, (c) => r * cols + c);
    if (rows > 1) for (let c = 0; c < cols; c += 1) line(rows, (r) => r * cols + c);
    ctx.strokeStyle = COLORS.manifold;
    ctx.lineWidth = this.dpr;
    ctx.stroke();
  }

  /** Segments p → p + v in one path, at most `max` (every k-th point). */
  arrows(points, vectors, max, width, alpha) {
    const n = points.shape[0];
    const stride = Math.max(1, Math.ceil(n / max));
    const p = points.data;
    const v = vectors.data;
    const { ctx, tx, ty } = this;
    ctx.beginPath();
    for (let i = 0; i < n; i += stride) {
      ctx.moveTo(tx(p[2 * i]), ty(p[2 * i + 1]));
      ctx.lineTo(tx(p[2 * i] + v[2 * i]), ty(p[2 * i + 1] + v[2 * i + 1]));
    }
    ctx.globalAlpha = alpha;
    ctx.strokeStyle = COLORS.gradient;
    ctx.lineWidth = width * this.dpr;
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  /** The slow-motion batch: discs filled with D's colour on each point (white before D is known), outlined. */
  stagePoints(p, dvals, outline) {
    if (!p || p.shape[0] === 0) return;
    const { ctx, tx, ty } = this;
    const known = dvals && dvals.shape[0] > 0;
    const r = 4 * this.dpr;
    ctx.lineWidth = 1.6 * this.dpr;
    ctx.strokeStyle = outline;
    for (let i = 0; i < p.shape[0]; i += 1) {
      let fill = '#fff';
      if (known) {
        const k = 4 * Math.round(Math.min(1, Math.max(0, dvals.data[i])) * 255);
        fill = `rgb(${FULL_LUT[k]},${FULL_LUT[k + 1]},${FULL_LUT[k + 2]})`;
      }
      ctx.beginPath();
      ctx.arc(tx(p.data[2 * i]), ty(p.data[2 * i + 1]), r, 0, 2 * Math.PI);
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.stroke();
    }
  }
}
