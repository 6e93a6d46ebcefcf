// saved/saved.js — the "Saved" panel: save the page's session on the server (optionally kept from the idle reaper), list saved sessions, resume one.

import { api } from '../core/api.js';
import { byTestId } from '../core/dom.js';
import { limits } from '../core/limits.js';

export class SavedPanel {
  /** `deps`: {session() → {id, token}, switchTo(created), notice(msg), viewer: bool} — a viewer page gets no panel. */
  constructor(root, deps) {
    this.root = root;
    this.deps = deps;
    this.name = byTestId('save-name-input', root);
    const rule = limits().requests.save.properties.name.anyOf[0]; // the saved name's pattern and length, as the server checks them
    // an input's pattern is compiled with the v flag, where a class's literal '-' must be escaped
    Object.assign(this.name, { pattern: rule.pattern.replace(/^\^|\$$/g, '').replace(/([^\\])-\]/g, '$1\\-]'), maxLength: rule.maxLength });
    this.keep = byTestId('keep-toggle', root);
    this.button = byTestId('save-button', root);
    this.list = byTestId('saved-list', root);
    this.errorEl = byTestId('saved-error', root);
    if (deps.viewer) {
      root.hidden = true;
      root.querySelectorAll('button, input').forEach((el) => { el.disabled = true; });
      return;
    }
    this.button.addEventListener('click', () => this.save());
    byTestId('saved-refresh', root).addEventListener('click', () => this.refresh());
    this.refresh();
  }

  /** The error of the last action next to the controls ('' clears it). */
  showError(msg) {
    this.errorEl.textContent = msg;
    this.errorEl.hidden = !msg;
  }

  /** POST …/save with the name (if any) and keep; the list then shows it. */
  async save() {
    const session = this.deps.session();
    if (!session.id || !session.token) return this.showError('No session to save yet');
    const body = { keep: this.keep.checked };
    const name = this.name.value.trim();
    if (name) body.name = name;
    this.button.disabled = true;
    try {
      const entry = await api.save(session, body);
      this.showError('');
      this.name.value = entry.name;
      this.deps.notice(`Saved as "${entry.name}" at iteration ${entry.iteration}${entry.keep ? ' (kept)' : ''}`);
      await this.refresh();
      this.root.querySelector('details').open = true; // show where it went
    } catch (e) {
      this.showError(`Save: ${e.detail || e.message}`);
    } finally {
      this.button.disabled = false;
    }
  }

  /** GET /api/saved → one row per entry: name, dataset, iteration, saved time, and a resume button. */
  async refresh() {
    let reply;
    try {
      reply = await api.saved();
    } catch (e) {
      return this.showError(`Saved list: ${e.detail || e.message}`);
    }
    this.list.replaceChildren(...reply.saved.map((entry) => this.row(entry)));
    if (!reply.saved.length) this.list.append(Object.assign(document.createElement('li'), { textContent: 'nothing saved yet' }));
  }

  row(entry) {
    const li = document.createElement('li');
    li.dataset.name = entry.name;
    li.dataset.iteration = String(entry.iteration);
    const when = new Date(entry.saved_at);
    const text = document.createElement('span');
    text.textContent = `${entry.name} · ${entry.dataset} · it ${entry.iteration.toLocaleString('en-US')} · `
      + `${Number.isNaN(when.getTime()) ? entry.saved_at : when.toLocaleString()}`;
    const resume = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Resume' });
    resume.dataset.testid = 'resume';
    resume.title = 'Continue this saved session in a new one (the current session ends)';
    resume.addEventListener('click', () => this.resume(entry.name, resume));
    li.append(text, ' ', resume);
    return li;
  }

  /** POST /api/saved/{name}/resume → a new session; the page switches to it like after Load. */
  async resume(name, button) {
    button.disabled = true;
    try {
      const created = await api.resume(name);
      this.showError('');
      await this.deps.switchTo(created);
      this.deps.notice(`Resumed "${name}" at iteration ${created.iteration}`);
    } catch (e) {
      this.showError(`Resume: ${e.detail || e.message}`);
    } finally {
      button.disabled = false;
    }
  }
}
