// images/grid.js — draws K×28×28 grayscale tiles on a <canvas> as a rows×cols grid, scaled up by whole pixels (crisp), with picked tiles outlined.

import { expectShape } from '../plots/common.js';

export const TILE = 28;
const GAP_COLOR = '#3a3f44';
const PICK_COLORS = ['#f5a623', '#29b6f6']; // a, b

export class TileCanvas {
  /**
   * `canvas`: where to draw; `opts`: {fit() → {width, height}: the CSS box to fill, maxScale, drawn()}.
   * draw(section, rows, cols, iteration) takes a decoded frame section {shape: [K,28,28], data}.
   */
  constructor(canvas, opts = {}) {
    this.canvas = canvas;
    this.opts = opts;
    this.off = document.createElement('canvas');
    this.rows = 0;
    this.cols = 0;
    this.picks = [];
    new ResizeObserver(() => this.redraw()).observe(canvas.parentElement);
  }

  /** Draw `section` as rows×cols tiles; `iteration` goes to data-iteration (tests and scripts watch it). */
  draw(section, rows, cols, iteration) {
    const [k] = expectShape('samples', section, [null, TILE, TILE]);
    if (!(rows * cols === k)) throw new Error(`samples: ${k} tiles do not fill a ${rows}×${cols} grid`);
    this.rows = rows;
    this.cols = cols;
    this.paintOffscreen(section.data, rows, cols);
    this.redraw();
    this.canvas.dataset.iteration = String(iteration);
  }

  /** Pixels at native size (one canvas pixel per image pixel), values in [0,1] → gray. */
  paintOffscreen(data, rows, cols) {
    const w = cols * TILE;
    const h = rows * TILE;
    this.off.width = w;
    this.off.height = h;
    const ctx = this.off.getContext('2d');
    const img = ctx.createImageData(w, h);
    const px = img.data;
    for (let t = 0; t < rows * cols; t += 1) {
      const x0 = (t % cols) * TILE;
      const y0 = Math.floor(t / cols) * TILE;
      for (let y = 0; y < TILE; y += 1) {
        let o = 4 * ((y0 + y) * w + x0);
        let i = (t * TILE + y) * TILE;
        for (let x = 0; x < TILE; x += 1, o += 4, i += 1) {
          const v = Math.max(0, Math.min(255, Math.round(255 * data[i])));
          px[o] = v;
          px[o + 1] = v;
          px[o + 2] = v;
          px[o + 3] = 255;
        }
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  /**
   * How big to draw: `css` = CSS pixels per image pixel that fit `opts.fit()`; `s` = canvas pixels per
   * image pixel (a whole number). From 3 device pixels up the grid snaps to whole pixels (exactly
   * crisp); below, it is drawn at the next whole scale and the browser shrinks it a little.
   */
  scale() {
    const dpr = window.devicePixelRatio || 1;
    const box = this.opts.fit();
    let fit = Math.min(box.width / (this.cols * TILE), box.height / (this.rows * TILE));
    fit = Math.max(1 / dpr, Math.min(this.opts.maxScale || 16, fit));
    if (fit * dpr >= 3) return { s: Math.floor(fit * dpr), css: Math.floor(fit * dpr) / dpr };
    return { s: Math.ceil(fit * dpr), css: fit };
  }

  /** Scale the offscreen pixels onto the visible canvas, draw the tile gaps and the picks. */
  redraw() {
    if (!this.rows || !this.cols) return;
    const { s, css } = this.scale();
    const c = this.canvas;
    const w = this.cols * TILE * s;
    const h = this.rows * TILE * s;
    const cssW = `${Math.round(this.cols * TILE * css)}px`;
    if (c.width !== w || c.height !== h || c.style.width !== cssW) {
      c.width = w;
      c.height = h;
      c.style.width = cssW;
      c.style.height = `${Math.round(this.rows * TILE * css)}px`;
    }
    const ctx = c.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.off, 0, 0, w, h);
    ctx.fillStyle = GAP_COLOR;
    const gap = Math.max(1, Math.round(s / 2));
    for (let i = 1; i < this.cols; i += 1) ctx.fillRect(i * TILE * s - gap / 2, 0, gap, h);
    for (let i = 1; i < this.rows; i += 1) ctx.fillRect(0, i * TILE * s - gap / 2, w, gap);
    this.picks.forEach((t, n) => this.outline(ctx, t, s, PICK_COLORS[n], n ? 'b' : 'a'));
    if (this.opts.drawn) this.opts.drawn();
  }

  outline(ctx, tile, s, color, letter) {
    if (tile === null || tile === undefined || tile >= this.rows * this.cols) return;
    const x = (tile % this.cols) * TILE * s;
    const y = Math.floor(tile / this.cols) * TILE * s;
    const lw = Math.max(2, Math.round(s * 0.75));
    ctx.strokeStyle = color;
    ctx.lineWidth = lw;
    ctx.strokeRect(x + lw / 2, y + lw / 2, TILE * s - lw, TILE * s - lw);
    ctx.fillStyle = color;
    ctx.font = `bold ${Math.max(10, 4 * s)}px sans-serif`;
    ctx.fillText(letter, x + lw + 1, y + Math.max(10, 4 * s) + lw);
  }

  /** Tiles to outline: [a] or [a, b] (indices into the grid). */
  setPicks(picks) {
    this.picks = picks.slice(0, 2);
    this.redraw();
  }

  /** The tile index under a mouse event, or null outside the grid. */
  tileAt(ev) {
    const rect = this.canvas.getBoundingClientRect();
    if (!this.rows || !rect.width) return null;
    const col = Math.floor(((ev.clientX - rect.left) / rect.width) * this.cols);
    const row = Math.floor(((ev.clientY - rect.top) / rect.height) * this.rows);
    if (col < 0 || row < 0 || col >= this.cols || row >= this.rows) return null;
    return row * this.cols + col;
  }

}
