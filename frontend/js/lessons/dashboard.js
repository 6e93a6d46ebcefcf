// lessons/dashboard.js — the lecturer's class dashboard (class.html?code=X#token): a tile per student refreshed
// every second (thumbnails every 5 s), filter / sort, a click puts that student's run on the projector (read-only viewer), push a lesson step.
// Updates are incremental: a tile's element is made once and kept, only changed text is written, the grid is
// reordered only when the order changes, a thumbnail is redrawn only when its points changed.

import { request } from '../core/api.js';
import { byTestId, setText } from '../core/dom.js';

const REFRESH_MS = 1000;
const THUMB_EVERY = 5; // every 5th refresh carries the thumbnails' points (drawn here, no image on the server)
const params = new URLSearchParams(window.location.search);
const code = (params.get('code') || '').toUpperCase();
const token = window.location.hash.slice(1) || localStorage.getItem(`gandojo.class.${code}`) || '';
if (token) localStorage.setItem(`gandojo.class.${code}`, token);
let students = [];
let refreshes = 0;
const tiles = new Map(); // session id → its tile element, made once

const fmt = (v, digits = 3) => (typeof v === 'number' ? v.toFixed(digits) : '–');
const progress = (t) => (t.lesson ? t.lesson.step + t.lesson.checks_passed / Math.max(1, t.lesson.checks_total + 1) : 0);
const FILTERS = {
  all: () => true,
  stuck: (t) => !t.running && !(t.lesson && t.lesson.done),
  collapsed: (t) => t.alarm === 'collapse' || t.alarm === 'dropping',
  done: (t) => Boolean(t.lesson && t.lesson.done),
};
const SORTS = {
  name: (a, b) => a.name.localeCompare(b.name),
  iteration: (a, b) => (b.iteration || 0) - (a.iteration || 0),
  progress: (a, b) => progress(b) - progress(a),
};

function tileOf(t) {
  let el = tiles.get(t.session);
  if (!el) {
    el = document.createElement('div');
    el.className = 'tile';
    el.dataset.testid = 'class-tile';
    el.dataset.session = t.session;
    el.innerHTML = '<b></b><canvas width="150" height="150"></canvas><div class="stats"></div><div class="les"></div>';
    el.onclick = () => spotlight(t.session);
    tiles.set(t.session, el);
  }
  return el;
}

function setData(el, key, value) {
  if (el.dataset[key] !== value) el.dataset[key] = value;
}

function draw() {
  const grid = byTestId('class-grid');
  const shown = students.filter(FILTERS[byTestId('class-filter').value])
    .sort(SORTS[byTestId('class-sort').value]);
  const els = shown.map((t) => {
    const el = tileOf(t);
    setData(el, 'iteration', String(t.iteration));
    setData(el, 'alarm', t.alarm || '');
    setData(el, 'done', String(Boolean(t.lesson && t.lesson.done)));
    setText(el.querySelector('b'), t.name);
    const modes = t.modes_total ? ` · modes ${t.modes_captured ?? '–'}/${t.modes_total}` : '';
    setText(el.querySelector('.stats'), `${t.dataset} · it ${t.iteration} · JS ${fmt(t.js)}${modes}${t.alarm ? ` · ⚠ ${t.alarm}` : ''}`);
    const l = t.lesson;
    setText(el.querySelector('.les'), l ? `${l.id} step ${l.step}/${l.steps} · checks ${l.checks_passed}/${l.checks_total}${l.done ? ' ✔' : ''}` : 'no lesson');
    if (t.thumb) drawThumb(el.querySelector('canvas'), t.thumb);
    return el;
  });
  const same = grid.children.length === els.length && els.every((el, i) => grid.children[i] === el);
  if (!same) grid.replaceChildren(...els); // a new order or a new filter: one DOM change, not 100
  const live = new Set(students.map((t) => t.session));
  for (const sid of [...tiles.keys()]) if (!live.has(sid)) tiles.delete(sid); // ended sessions' tiles go
  setText(byTestId('class-count'), String(students.length));
}

/** Bytes from the server's base64: (x, y) pairs (0..levels across the view, y upwards) or gray pixels. */
function decodePoints(b64) {
  const raw = atob(b64 || '');
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
  return out;
}

/** The first pictures of an image student's sample grid (8-bit gray [n, h, w]) as a square mosaic filling the canvas. */
function drawImages(canvas, ctx, thumb) {
  const [n, h, w] = thumb.shape;
  const side = Math.ceil(Math.sqrt(n));
  const px = decodePoints(thumb.images);
  const img = new ImageData(side * w, side * h);
  for (let k = 0; k < n; k += 1) {
    const x0 = (k % side) * w;
    const y0 = Math.floor(k / side) * h;
    for (let i = 0; i < h * w && k * h * w + i < px.length; i += 1) {
      const o = ((y0 + Math.floor(i / w)) * side * w + x0 + (i % w)) * 4;
      img.data.fill(px[k * h * w + i], o, o + 3);
      img.data[o + 3] = 255;
    }
  }
  const tmp = document.createElement('canvas');
  [tmp.width, tmp.height] = [img.width, img.height];
  tmp.getContext('2d').putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

/** Real (green) and fake (purple) points of the student's newest frame, in its view, or an image student's
 * pictures (redrawn only when they changed). */
function drawThumb(canvas, thumb) {
  const key = thumb.images || `${thumb.real}|${thumb.fake}`;
  if (canvas.thumbKey === key) return;
  canvas.thumbKey = key;
  const ctx = canvas.getContext('2d');
  if (thumb.images) {
    drawImages(canvas, ctx, thumb);
    canvas.dataset.drawn = String(Date.now());
    return;
  }
  const sx = canvas.width / (thumb.levels || 255);
  const sy = canvas.height / (thumb.levels || 255);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const [b64, color] of [[thumb.real, '#2ca02c'], [thumb.fake, '#9467bd']]) {
    const pts = decodePoints(b64);
    ctx.fillStyle = color;
    for (let i = 0; i + 1 < pts.length; i += 2) ctx.fillRect(pts[i] * sx - 1, canvas.height - pts[i + 1] * sy - 1, 2, 2);
  }
  canvas.dataset.drawn = String(Date.now());
}

function spotlight(sid) {
  const t = students.find((s) => s.session === sid);
  const frame = byTestId('class-spotlight');
  if (!t || !t.viewer_url) return;
  frame.hidden = false;
  frame.dataset.session = sid;
  frame.src = t.viewer_url;
}

async function refresh() {
  const t0 = Date.now();
  try {
    const thumbs = refreshes % THUMB_EVERY === 0;
    refreshes += 1;
    const room = await request('GET', `/api/classes/${code}${thumbs ? '?thumbs=true' : ''}`, { token });
    setText(byTestId('class-title'), room.title);
    students = room.students;
    draw();
    setText(byTestId('class-message'), '');
  } catch (err) {
    setText(byTestId('class-message'), err.message);
  }
  setTimeout(refresh, Math.max(0, REFRESH_MS - (Date.now() - t0))); // a refresh a second, not one a second after the last
}

async function push() {
  const body = { lesson: byTestId('class-push-lesson').value, step: Number(byTestId('class-push-step').value) };
  try {
    const r = await request('POST', `/api/classes/${code}/push`, { token, body });
    setText(byTestId('class-message'), `pushed to ${r.pushed} students`);
  } catch (err) {
    setText(byTestId('class-message'), err.message);
  }
}

async function start() {
  setText(byTestId('class-code'), code);
  const { lessons } = await request('GET', '/api/lessons');
  const select = byTestId('class-push-lesson');
  for (const les of lessons) select.add(new Option(les.title, les.id));
  byTestId('class-push-button').onclick = push;
  byTestId('class-filter').onchange = draw;
  byTestId('class-sort').onchange = draw;
  refresh();
}

start();
