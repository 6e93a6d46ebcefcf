// plots/overview.js — the SVG model overview graph (noise → G → samples → D → predictions → losses, gradients back) with the slow-motion stage lit.

import { COLORS, gridLines, fmt } from './common.js';
import { clear, drawHeatmap, drawPoints, drawPolylines, dColor } from './thumbs.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

export const STAGE_NAMES = [
  'sample noise', 'G makes fakes', 'D classifies real and fake', 'D loss', 'D gradients', 'D update',
  'G sample', 'D classifies fakes', 'G loss', 'G gradients', 'G update',
];
/** Short labels of the stage pills (HTML, they wrap). */
const STAGE_SHORT = [
  'sample noise', 'G makes fakes', 'D classifies', 'D loss', 'D gradients', 'D update',
  'G sample', 'D classifies fakes', 'G loss', 'G gradients', 'G update',
];

/** Nodes: id, box [x, y, w, h], label, label position, kind (css class), thumbnail canvas or not. */
const NODES = [
  { id: 'noise', box: [8, 128, 44, 44], label: 'Noise z', below: true, thumb: true },
  { id: 'gen', box: [76, 108, 84, 84], label: 'Generator', below: true, kind: 'g', thumb: true },
  { id: 'real', box: [192, 54, 50, 50], label: 'Real', below: false, thumb: true },
  { id: 'fake', box: [192, 126, 50, 50], label: 'Fake', below: true, thumb: true },
  { id: 'disc', box: [274, 73, 84, 84], label: 'Discriminator', below: true, kind: 'd', thumb: true },
  { id: 'pred-real', box: [388, 60, 40, 40], label: 'D(real)', below: true },
  { id: 'pred-fake', box: [388, 131, 40, 40], label: 'D(fake)', below: true },
  { id: 'dloss', box: [446, 104, 70, 24], label: 'D loss', kind: 'dl' },
  { id: 'gloss', box: [446, 182, 70, 24], label: 'G loss', kind: 'gl' },
];

const EDGES = [
  ['e-noise-g', 'M52,150 H76'],
  ['e-g-fake', 'M160,150 H176 V151 H192'],
  ['e-real-d', 'M242,79 H258 V100 H274'],
  ['e-fake-d', 'M242,151 H258 V130 H274'],
  ['e-d-pr', 'M358,100 H372 V80 H388'],
  ['e-d-pf', 'M358,130 H372 V151 H388'],
  ['e-pr-dl', 'M428,80 H437 V116 H446'],
  ['e-pf-dl', 'M428,151 H437 V116 H446'],
  ['e-pf-gl', 'M428,151 H437 V194 H446'],
  ['grad-d', 'M481,104 V46 H316 V73', 'grad d', [352, 41, '∇ D loss']],
  ['grad-g', 'M481,206 V238 H118 V192', 'grad g', [300, 252, '∇ G loss → back through D → G']],
];

/** What each stage lights (nodes and edges by id). */
const STAGE_LIGHTS = [
  ['noise', 'real'],
  ['noise', 'e-noise-g', 'gen', 'e-g-fake', 'fake', 'real'],
  ['real', 'fake', 'e-real-d', 'e-fake-d', 'disc', 'e-d-pr', 'e-d-pf', 'pred-real', 'pred-fake'],
  ['pred-real', 'pred-fake', 'e-pr-dl', 'e-pf-dl', 'dloss'],
  ['dloss', 'grad-d', 'disc'],
  ['disc'],
  ['noise', 'e-noise-g', 'gen', 'e-g-fake', 'fake'],
  ['fake', 'e-fake-d', 'disc', 'e-d-pf', 'pred-fake'],
  ['pred-fake', 'e-pf-gl', 'gloss'],
  ['gloss', 'grad-g', 'disc', 'gen'],
  ['gen'],
];
const UPDATE_STAGES = { 5: 'disc', 10: 'gen' };

function svg(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG_NS, tag);
  Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
  if (parent) parent.appendChild(e);
  return e;
}

function text(parent, x, y, str, cls) {
  const t = svg('text', { x, y, class: cls }, parent);
  t.textContent = str;
  return t;
}

export class Overview {
  /** `root`: container (data-testid overview-graph); `caption`: {number, name, step, detail} elements. */
  constructor(root, caption) {
    this.root = root;
    this.caption = caption;
    this.els = {};
    this.canvases = {};
    this.stageIndex = null;
    this.build();
  }

  build() {
    // the graph at a scale where 16 units ≈ 12 px and more (390 px wide: style.css keeps the column that wide) (the stage pills above and below it are HTML)
    const s = svg('svg', { viewBox: '0 24 520 236', class: 'overview-svg', role: 'img', 'aria-label': 'GAN model overview' });
    const rowD = this.buildStageBar(0, 6, 'd');
    const rowG = this.buildStageBar(6, 5, 'g');
    EDGES.forEach(([id, d, cls, label]) => {
      const g = svg('g', { class: `edge ${cls || ''}` }, s);
      svg('path', { d, class: 'edge-line' }, g);
      if (label) text(g, label[0], label[1], label[2], 'edge-label');
      this.els[id] = g;
    });
    NODES.forEach((n) => this.buildNode(s, n));
    this.predBars = {
      real: this.buildPredBar('pred-real'),
      fake: this.buildPredBar('pred-fake'),
    };
    this.svg = s;
    this.root.replaceChildren(rowD, s, rowG);
  }

  buildStageBar(first, count, part) {
    const row = document.createElement('div');
    row.className = `stage-row ${part}`;
    for (let i = 0; i < count; i += 1) {
      const idx = first + i;
      const pill = document.createElement('div');
      pill.className = `stage-pill ${part}`;
      pill.dataset.stage = String(idx);
      pill.title = `Stage ${idx}: ${STAGE_NAMES[idx]}`;
      const num = document.createElement('b');
      num.textContent = String(idx);
      pill.append(num, document.createTextNode(STAGE_SHORT[idx]));
      row.appendChild(pill);
      this.els['stage-' + idx] = pill;
    }
    return row;
  }

  buildNode(s, n) {
    const [x, y, w, h] = n.box;
    const g = svg('g', { class: `node ${n.kind || ''}`, id: 'ov-' + n.id }, s);
    svg('rect', { x, y, width: w, height: h, rx: 3, class: 'node-box' }, g);
    if (n.thumb) this.canvases[n.id] = this.buildCanvas(g, x + 2, y + 2, w - 4, h - 4);
    if (n.kind === 'dl' || n.kind === 'gl') {
      this.els[n.id + '-value'] = text(g, x + w / 2, y + 16, n.label, 'loss-text');
    } else {
      text(g, x + w / 2, n.below ? y + h + 12 : y - 4, n.label, 'node-label');
    }
    this.els[n.id] = g;
  }

  buildCanvas(g, x, y, w, h) {
    const fo = svg('foreignObject', { x, y, width: w, height: h }, g);
    const c = document.createElementNS(XHTML_NS, 'canvas');
    c.width = Math.round(w * 2);
    c.height = Math.round(h * 2);
    c.style.width = '100%';
    c.style.height = '100%';
    c.style.display = 'block';
    fo.appendChild(c);
    return c;
  }

  buildPredBar(id) {
    const [x, y, w, h] = NODES.find((n) => n.id === id).box;
    svg('rect', { x: x + w / 2 - 6, y: y + 3, width: 12, height: h - 6, class: 'pred-track' }, this.els[id]);
    const bar = svg('rect', { x: x + w / 2 - 6, y: y + h - 3, width: 12, height: 0, class: 'pred-bar' }, this.els[id]);
    const label = text(this.els[id], x + w / 2, y + h / 2 + 4, '', 'pred-text');
    return { bar, label, y0: y + 3, h: h - 6 };
  }

  /** Light the stage `stage` ({index, name, part, step, of, detail}) or clear everything when null. */
  setStage(stage) {
    const index = stage ? stage.index : null;
    if (index !== null && !(Number.isInteger(index) && index >= 0 && index < STAGE_NAMES.length)) {
      throw new Error(`overview: stage index ${index} is not in 0..${STAGE_NAMES.length - 1}`);
    }
    this.svg.classList.toggle('slowmo', index !== null);
    this.root.classList.toggle('slowmo', index !== null);
    const lit = new Set(index === null ? [] : STAGE_LIGHTS[index]);
    Object.entries(this.els).forEach(([id, el]) => {
      if (id.startsWith('stage-')) el.classList.toggle('active', id === 'stage-' + index);
      else if (!id.endsWith('-value')) el.classList.toggle('lit', lit.has(id));
    });
    Object.values(UPDATE_STAGES).forEach((id) => this.els[id].classList.toggle('updating', UPDATE_STAGES[index] === id));
    this.stageIndex = index;
    this.renderCaption(stage);
  }

  renderCaption(stage) {
    const c = this.caption;
    if (!stage) {
      [c.number, c.name, c.step, c.detail].forEach((e) => { e.textContent = ''; });
      return;
    }
    const part = stage.part === 'g' ? 'G' : 'D';
    c.number.textContent = `Stage ${stage.index}`;
    c.name.textContent = stage.name || STAGE_NAMES[stage.index];
    c.step.textContent = stage.of > 1 ? `${part} step ${stage.step} of ${stage.of}` : '';
    c.detail.textContent = stage.detail || '';
  }

  /** Thumbnails and numbers from a frame: header {view, losses, metrics}, sections {real, fake, heatmap, manifold}. */
  update(header, sections) {
    const view = header.view;
    const cv = this.canvases;
    drawHeatmap(cv.disc, sections.heatmap);
    [['real', COLORS.real], ['fake', COLORS.fake]].forEach(([k, color]) => {
      clear(cv[k]);
      drawPoints(cv[k], sections[k], view, color, 2);
    });
    clear(cv.gen);
    if (sections.manifold) drawPolylines(cv.gen, gridLines(sections.manifold), view, COLORS.fake);
    else drawPoints(cv.gen, sections.fake, view, COLORS.fake, 1.4);
    this.drawNoise();
    const m = header.metrics || {};
    this.setPred(this.predBars.real, m.d_real_mean);
    this.setPred(this.predBars.fake, m.d_fake_mean);
    const l = { ...header.losses };
    const staged = (header.stage && header.stage.values) || {};
    ['d', 'g'].forEach((k) => {
      if (typeof staged[k + '_loss'] === 'number') l[k] = staged[k + '_loss']; // this stage's batch
      this.els[k + 'loss-value'].textContent = `${k.toUpperCase()} ${fmt(l[k], 3)}`;
    });
  }

  setPred(p, v) {
    const ok = typeof v === 'number' && Number.isFinite(v);
    const h = ok ? Math.min(1, Math.max(0, v)) * p.h : 0;
    p.bar.setAttribute('y', p.y0 + p.h - h);
    p.bar.setAttribute('height', h);
    p.bar.setAttribute('fill', ok ? dColor(v) : '#ccc');
    p.label.textContent = ok ? v.toFixed(2) : '';
  }

  drawNoise() {
    if (this.noiseDrawn) return;
    const c = this.canvases.noise;
    clear(c);
    const ctx = c.getContext('2d');
    ctx.fillStyle = COLORS.g;
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 90; i += 1) ctx.fillRect(rand() * c.width, rand() * c.height, 2.4, 2.4);
    this.noiseDrawn = true;
  }
}
