// lessons/panel.js — the lesson panel: pick a lesson, enter a step (the server applies its setup), spotlight the
// highlighted controls, ask the question, tick the checks live (GET .../lesson once a second), next/previous.

import { request } from '../core/api.js';
import { byTestId } from '../core/dom.js';
import { markdown } from './markdown.js';

const POLL_MS = 1000;
// read when this module loads, before the page's own URL state rewrites the query string
const OPENED_WITH = new URLSearchParams(window.location.search);
const STORE = 'gandojo.lesson'; // progress per browser: {id, step}
const STYLE = `
[data-testid=lesson-panel]{position:fixed;right:12px;bottom:12px;width:340px;max-height:70vh;overflow:auto;
 background:#fff;border:1px solid #bbb;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.2);padding:10px;
 font-size:13px;z-index:50}
[data-testid=lesson-panel] h3{margin:4px 0;font-size:14px}
[data-testid=lesson-panel] .lesson-checks{list-style:none;padding:0}
[data-testid=lesson-panel] .lesson-checks li[data-passed=true]::before{content:"✔ ";color:#1a7f37}
[data-testid=lesson-panel] .lesson-checks li[data-passed=false]::before{content:"○ ";color:#888}
[data-testid=lesson-panel] .lesson-hint{color:#8a5a00;font-size:12px}
[data-testid=lesson-panel].collapsed .lesson-body{display:none}
[data-testid=lesson-panel].collapsed{width:auto;padding:4px 8px;opacity:.92}
.lesson-spotlight{outline:3px solid #f0a500 !important;outline-offset:2px;border-radius:3px}`;

/** The dataset the lesson's step `n` trains on: the nearest setup naming one (at or before it, else after). */
function datasetOf(lesson, n) {
  const named = lesson.steps.map((s) => s.setup && s.setup.dataset);
  return named.slice(0, n).reverse().find(Boolean) || named.find(Boolean) || null;
}

export class LessonPanel {
  /**
   * `session()` is the page's session {id, token, kind}; `ensureKind(kind, dataset)` makes it one of the
   * lesson's kind (an image lesson opens the image view), resolving to whether it is.
   */
  constructor({ session, ensureKind = async () => true }) {
    this.session = session;
    this.ensureKind = ensureKind;
    this.lesson = null;
    this.status = null;
    this.timer = null;
    this.sessionId = null;
    this.el = this.build();
    document.body.appendChild(this.el);
    if (OPENED_WITH.get('view')) { // a viewer link (presenter mode, the class projector): watch, no lesson
      this.el.hidden = true;
      return;
    }
    this.loadCatalogue();
  }

  build() {
    const style = document.createElement('style');
    style.textContent = STYLE;
    document.head.appendChild(style);
    const el = document.createElement('aside');
    el.dataset.testid = 'lesson-panel';
    el.classList.add('collapsed'); // folded until a lesson opens: it covers the plots' corner
    el.innerHTML = `
      <div><strong>Lessons</strong> <button type="button" data-testid="lesson-toggle">show / hide</button></div>
      <div class="lesson-body">
        <select data-testid="lesson-select"><option value="">choose a lesson…</option></select>
        <button type="button" data-testid="lesson-start">Start</button>
        <div data-testid="lesson-step" data-step="0"></div>
        <div data-testid="lesson-question"></div>
        <ul class="lesson-checks" data-testid="lesson-checks"></ul>
        <div data-testid="lesson-message" class="lesson-hint"></div>
        <button type="button" data-testid="lesson-prev">← Previous</button>
        <button type="button" data-testid="lesson-next">Next →</button>
        <div><input data-testid="class-join-code" placeholder="class code" maxlength="12" size="8">
          <input data-testid="class-join-name" placeholder="your name" maxlength="40" size="10">
          <button type="button" data-testid="class-join-button">Join class</button></div>
      </div>`;
    const q = (id) => byTestId(id, el);
    q('lesson-toggle').onclick = () => el.classList.toggle('collapsed');
    q('lesson-start').onclick = () => this.open(q('lesson-select').value, 1);
    q('lesson-prev').onclick = () => this.go(-1);
    q('lesson-next').onclick = () => this.go(1);
    q('class-join-button').onclick = () => this.join(q('class-join-code').value.trim(), q('class-join-name').value.trim());
    return el;
  }

  part(id) { return byTestId(id, this.el); }

  async loadCatalogue() {
    const { lessons } = await request('GET', '/api/lessons');
    const select = this.part('lesson-select');
    for (const les of lessons) {
      const opt = document.createElement('option');
      opt.value = les.id;
      opt.textContent = `${les.title} (${les.level}, ${les.steps} steps)`;
      select.appendChild(opt);
    }
    const url = OPENED_WITH;
    const saved = JSON.parse(localStorage.getItem(STORE) || 'null');
    const id = url.get('lesson') || (saved && saved.id);
    const step = Number(url.get('lesson') ? url.get('step') || 1 : saved && saved.step) || 1;
    if (id && lessons.some((l) => l.id === id)) this.open(id, step);
  }

  /** Wait for the page's session, fetch the lesson, enter `step` (1-based). */
  async open(id, step) {
    if (!id) return;
    this.el.classList.remove('collapsed');
    this.part('lesson-select').value = id;
    this.lesson = await request('GET', `/api/lessons/${id}`);
    await this.whenSession();
    const n = Math.min(Math.max(1, step), this.lesson.steps.length);
    const kind = this.lesson.kind || '2d';
    if (this.session().kind !== kind) {
      this.message(`opening a ${kind} session for this lesson…`);
      if (!(await this.ensureKind(kind, datasetOf(this.lesson, n)))) {
        this.message(`this lesson needs a ${kind} session, and none could be opened`);
        return;
      }
    }
    await this.enter(n);
  }

  whenSession() {
    return new Promise((resolve) => {
      const wait = () => (this.session().id ? resolve() : setTimeout(wait, 200));
      wait();
    });
  }

  async enter(step) {
    const s = this.session();
    this.message('');
    try {
      this.status = await request('POST', `/api/sessions/${s.id}/lesson`, {
        token: s.token, body: { lesson: this.lesson.id, step },
      });
    } catch (err) {
      this.message(err.message);
      return;
    }
    this.sessionId = s.id;
    localStorage.setItem(STORE, JSON.stringify({ id: this.lesson.id, step }));
    const url = new URL(window.location.href);
    url.searchParams.set('lesson', this.lesson.id);
    url.searchParams.set('step', String(step));
    window.history.replaceState(null, '', url);
    this.renderStep(this.lesson.steps[step - 1], step);
    this.renderStatus();
    this.poll();
  }

  go(delta) {
    if (!this.lesson || !this.status) return;
    const next = this.status.step + delta;
    if (next >= 1 && next <= this.lesson.steps.length) this.enter(next);
  }

  renderStep(step, n) {
    const box = this.part('lesson-step');
    box.dataset.step = String(n);
    box.innerHTML = `<h3>${n} / ${this.lesson.steps.length}: </h3>${markdown(step.text)}`;
    box.querySelector('h3').append(document.createTextNode(step.title));
    this.spotlight(step.highlight || []);
    this.applyLayers((step.setup && step.setup.layers) || {});
    this.renderQuestion(step.question);
  }

  spotlight(ids) {
    document.querySelectorAll('.lesson-spotlight').forEach((e) => e.classList.remove('lesson-spotlight'));
    for (const id of ids) {
      document.querySelectorAll(`[data-testid="${id}"]`).forEach((e) => e.classList.add('lesson-spotlight'));
    }
  }

  applyLayers(layers) {
    for (const [name, on] of Object.entries(layers)) {
      const box = byTestId(`layer-${name}`);
      if (box && 'checked' in box && box.checked !== on) box.click();
    }
  }

  renderQuestion(question) {
    const box = this.part('lesson-question');
    box.innerHTML = '';
    if (!question) return;
    const p = document.createElement('p');
    p.textContent = question.prompt;
    box.appendChild(p);
    if (question.kind === 'choice') {
      question.options.forEach((text, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.testid = `lesson-option-${i}`;
        b.textContent = text;
        b.style.display = 'block';
        b.onclick = () => this.answer(i);
        box.appendChild(b);
      });
    } else {
      const input = document.createElement('input');
      input.dataset.testid = 'lesson-answer-input';
      input.maxLength = 2000;
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.testid = 'lesson-answer-button';
      b.textContent = 'Answer';
      b.onclick = () => input.value.trim() && this.answer(input.value.trim());
      box.append(input, b);
    }
    const ex = document.createElement('p');
    ex.dataset.testid = 'lesson-explanation';
    ex.hidden = true;
    box.appendChild(ex);
  }

  async answer(value) {
    const s = this.session();
    try {
      const r = await request('POST', `/api/sessions/${s.id}/lesson/answer`, { token: s.token, body: { answer: value } });
      const ex = this.part('lesson-explanation');
      ex.hidden = false;
      ex.dataset.correct = String(r.correct);
      ex.textContent = `${r.correct ? 'Right.' : 'Not quite.'} ${r.explanation}`;
      this.status = r.status;
      this.renderStatus();
    } catch (err) {
      this.message(err.message);
    }
  }

  renderStatus() {
    const st = this.status;
    if (!st) return;
    const list = this.part('lesson-checks');
    list.innerHTML = '';
    for (const c of st.checks) {
      const li = document.createElement('li');
      li.dataset.testid = `lesson-check-${c.id}`;
      li.dataset.passed = String(c.passed);
      li.textContent = c.text;
      li.title = c.detail;
      if (!c.passed && c.hint) {
        const hint = document.createElement('div');
        hint.className = 'lesson-hint';
        hint.textContent = `${c.hint} — ${c.detail}`;
        li.appendChild(hint);
      }
      list.appendChild(li);
    }
    this.el.dataset.done = String(st.done);
    this.part('lesson-next').disabled = st.step >= st.steps;
    this.part('lesson-prev').disabled = st.step <= 1;
  }

  message(text) { this.part('lesson-message').textContent = text; }

  /** Join a lecturer's class with its code: the lecturer's dashboard then shows this session. */
  async join(code, name) {
    if (!code) return;
    await this.whenSession();
    const s = this.session();
    try {
      const r = await request('POST', `/api/classes/${encodeURIComponent(code)}/students`, {
        body: { session: s.id, token: s.token, name },
      });
      this.message(`joined ${r.title} (${r.code})`);
    } catch (err) {
      this.message(err.message);
    }
  }

  /** Checks tick live: the server evaluates them on the session's frames and history. */
  poll() {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      const s = this.session();
      if (!this.lesson || s.id !== this.sessionId) return; // the page moved to another session
      try {
        this.status = await request('GET', `/api/sessions/${s.id}/lesson`);
        this.renderStatus();
      } catch (err) {
        this.message(err.message);
      }
      this.poll();
    }, POLL_MS);
  }
}
