// lab/drawing.js — draw mode: mouse / touch strokes over the distribution plot become example points in the unit square (the `drawn` dataset).

import { byTestId } from '../core/dom.js';
import { commandRules } from '../core/limits.js';

const UNIT = { x: [0, 1], y: [0, 1] };
const SPACING = 0.008; // unit-square distance between the points sampled along a stroke
/** The most points one `points` command may carry (the server's bound). */
const maxPoints = () => commandRules('points', 'points').maxItems;

/** Points every SPACING along a polyline, carried over from one segment to the next. */
export class StrokeSampler {
  constructor(spacing = SPACING) {
    this.spacing = spacing;
    this.points = [];
    this.last = null;
    this.carry = 0; // distance walked since the last emitted point
  }

  start(p) {
    this.last = p;
    this.carry = 0;
    this.points.push(p);
  }

  extend(q) {
    const p = this.last;
    const d = Math.hypot(q[0] - p[0], q[1] - p[1]);
    if (d === 0) return;
    const n = Math.floor((this.carry + d) / this.spacing);
    for (let k = 1; k <= n; k += 1) {
      const t = (k * this.spacing - this.carry) / d;
      this.points.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
    this.carry = this.carry + d - n * this.spacing;
    this.last = q;
  }
}

export class Drawing {
  /**
   * `dist`: the DistributionPlot; `canvas`: the overlay (a sibling of the plot in its wrapper);
   * `actions`: {apply(points), pause(), status(msg), error(msg)}.
   */
  constructor(dist, canvas, actions) {
    this.dist = dist;
    this.canvas = canvas;
    this.actions = actions;
    this.on = false;
    this.sampler = new StrokeSampler();
    this.el = Object.fromEntries(['draw-toggle', 'draw-apply', 'draw-clear', 'draw-count']
      .map((id) => [id, byTestId(id)]));
    this.el['draw-toggle'].addEventListener('click', () => this.toggle(!this.on));
    this.el['draw-clear'].addEventListener('click', () => this.clear());
    this.el['draw-apply'].addEventListener('click', () => this.apply());
    this.bindPointer();
    new ResizeObserver(() => this.on && this.place()).observe(dist.div);
    this.sync();
  }

  toggle(on) {
    this.on = on;
    this.canvas.hidden = !on;
    document.body.classList.toggle('drawing', on);
    if (on) {
      this.actions.pause();
      this.dist.setBlank(UNIT).then(() => this.on && this.place());
      this.actions.status('Draw mode: draw strokes with the mouse or a finger, then "Use drawing"');
    } else {
      this.dist.setBlank(null);
    }
    this.sync();
  }

  /** Put the overlay exactly over the unit square of the plot and repaint the strokes. */
  place() {
    const area = this.dist.pixelBox(UNIT);
    const wrap = this.canvas.parentElement.getBoundingClientRect();
    const plot = this.dist.div.getBoundingClientRect();
    Object.assign(this.canvas.style, {
      left: `${plot.left - wrap.left + area.left}px`, top: `${plot.top - wrap.top + area.top}px`,
      width: `${area.width}px`, height: `${area.height}px`,
    });
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(area.width * dpr);
    this.canvas.height = Math.round(area.height * dpr);
    this.paint();
  }

  bindPointer() {
    const c = this.canvas;
    let down = false;
    c.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      ev.preventDefault();
      c.setPointerCapture(ev.pointerId);
      down = true;
      this.add(ev, true);
    });
    c.addEventListener('pointermove', (ev) => down && this.add(ev, false));
    const up = () => { down = false; };
    c.addEventListener('pointerup', up);
    c.addEventListener('pointercancel', up);
  }

  /** The pointer position in the unit square (y upwards), clamped to it. */
  toUnit(ev) {
    const r = this.canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((ev.clientX - r.left) / r.width), clamp(1 - (ev.clientY - r.top) / r.height)];
  }

  add(ev, first) {
    if (this.sampler.points.length >= maxPoints()) {
      this.actions.error(`A drawing holds at most ${maxPoints().toLocaleString('en-US')} points`);
      return;
    }
    const p = this.toUnit(ev);
    if (first) this.sampler.start(p);
    else this.sampler.extend(p);
    if (this.sampler.points.length > maxPoints()) this.sampler.points.length = maxPoints();
    this.paint();
    this.sync();
  }

  paint() {
    const ctx = this.canvas.getContext('2d');
    const { width: w, height: h } = this.canvas;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = 'rgba(27, 120, 55, 0.75)';
    const r = 2 * (window.devicePixelRatio || 1);
    this.sampler.points.forEach(([x, y]) => ctx.fillRect(x * w - r / 2, (1 - y) * h - r / 2, r, r));
  }

  clear() {
    this.sampler = new StrokeSampler();
    this.paint();
    this.sync();
  }

  apply() {
    const pts = this.sampler.points;
    if (!pts.length) return;
    this.actions.apply(pts.map(([x, y]) => [Number(x.toFixed(4)), Number(y.toFixed(4))]));
    this.clear();
    this.toggle(false);
  }

  sync() {
    const n = this.sampler.points.length;
    const t = this.el['draw-toggle'];
    t.setAttribute('aria-pressed', String(this.on));
    t.textContent = this.on ? '✎ Drawing…' : '✎ Draw';
    this.el['draw-apply'].disabled = !this.on || n === 0;
    this.el['draw-clear'].disabled = !this.on || n === 0;
    this.el['draw-count'].textContent = this.on ? `${n} point${n === 1 ? '' : 's'}` : '';
  }
}
