// lessons/dashboard.js — the lecturer's class dashboard (class.html?code=X#token): a tile per student refreshed
// every second, filter / sort, a click puts that student's run on the projector (read-only viewer), push a lesson step.

import { request } from '../core/api.js';
import { byTestId, setText } from '../core/dom.js';

const REFRESH_MS = 1000;
const params = new URLSearchParams(window.location.search);
const code = (params.get('code') || '').toUpperCase();
const token = window.location.hash.slice(1) || localStorage.getItem(`gandojo.class.${code}`) || '';
if (token) localStorage.setItem(`gandojo.class.${code}`, token);
let students = [];

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
    el.innerHTML = '<b></b><img alt="the student\'s distribution plot"><div class="stats"></div><div class="les"></div>';
    el.onclick = () => spotlight(t.session);
    el.querySelector('img').dataset.at = '0';
  }
  return el;
}

function draw() {
  const grid = byTestId('class-grid');
  const shown = students.filter(FILTERS[byTestId('class-filter').value])
    .sort(SORTS[byTestId('class-sort').value]);
  const now = Date.now();
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
    const img = el.querySelector('img');
    if (now - Number(img.dataset.at) > 5000) { // thumbnails every 5 s: a PNG costs the server a render
      img.src = `/api/sessions/${t.session}/snapshot.png?t=${now}`;
      img.dataset.at = String(now);
    }
    return el;
  }));
  setText(byTestId('class-count'), String(students.length));
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
  try {
    const room = await request('GET', `/api/classes/${code}`, { token });
    setText(byTestId('class-title'), room.title);
    students = room.students;
    draw();
    setText(byTestId('class-message'), '');
  } catch (err) {
    setText(byTestId('class-message'), err.message);
  }
  setTimeout(refresh, REFRESH_MS);
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
