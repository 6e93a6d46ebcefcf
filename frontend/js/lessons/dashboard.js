// lessons/dashboard.js — the lecturer's class dashboard (class.html?code=X#token): a tile per student refreshed
// every second (thumbnails every 5 s), filter / sort, a click puts that student's run on the projector (read-only viewer), push a lesson step.

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
  let el = document.querySelector(`[data-testid="class-tile"][data-session="${t.session}"]`);
  if (!el) {
    el = document.createElement('div');
    el.className = 'tile';
    el.dataset.testid = 'class-tile';
    el.dataset.session = t.session;
    el.innerHTML = '<b></b><canvas width="150" height="150"></canvas><div class="stats"></div><div class="les"></div>';
    el.onclick = () => spotlight(t.session);
  }
  return el;
}

function draw() {
  const grid = byTestId('class-grid');
  const shown = students.filter(FILTERS[byTestId('class-filter').value])
    .sort(SORTS[byTestId('class-sort').value]);
  grid.replaceChildren(...shown.map((t) => {
    const el = tileOf(t);
    el.dataset.iteration = String(t.iteration);
    el.dataset.alarm = t.alarm || '';
    el.dataset.done = String(Boolean(t.lesson && t.lesson.done));
    setText(el.querySelector('b'), t.name);
    const modes = t.modes_total ? ` · modes ${t.modes_captured ?? '–'}/${t.modes_total}` : '';
    setText(el.querySelector('.stats'), `${t.dataset} · it ${t.iteration} · JS ${fmt(t.js)}${modes}${t.alarm ? ` · ⚠ ${t.alarm}` : ''}`);
    const l = t.lesson;
    setText(el.querySelector('.les'), l ? `${l.id} step ${l.step}/${l.steps} · checks ${l.checks_passed}/${l.checks_total}${l.done ? ' ✔' : ''}` : 'no lesson');
    if (t.thumb) drawThumb(el.querySelector('canvas'), t.thumb);
    return el;
  }));
  setText(byTestId('class-count'), String(students.length));
}

/** Real (green) and fake (purple) points of the student's newest frame, in its view. */
function drawThumb(canvas, thumb) {
  const ctx = canvas.getContext('2d');
  const { x, y } = thumb.view || { x: [0, 1], y: [0, 1] };
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const [pts, color] of [[thumb.real, '#2ca02c'], [thumb.fake, '#9467bd']]) {
    ctx.fillStyle = color;
    for (const [px, py] of pts || []) {
      ctx.fillRect(((px - x[0]) / (x[1] - x[0])) * canvas.width - 1,
        (1 - (py - y[0]) / (y[1] - y[0])) * canvas.height - 1, 2, 2);
    }
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
