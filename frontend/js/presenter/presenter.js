// presenter/presenter.js — presenter mode: the read-only viewer link (?session=&view=), the viewer count, and the projector-sized presenter view (?present=1).

import { copyText } from '../share/share.js';
import { byTestId } from '../core/dom.js';

/** What a viewer page must not touch (the layer toggles, timeline and presenter view stay: they only change this page). */
const CONTROLS = ['.topbar button', '.topbar input', '.topbar select', '.toolbar button', '.toolbar input',
  '.toolbar a.button', '.panel.left button', '.panel.left input', '.panel.left select', '.drs-row input',
  '.image-view button', '.image-view input', '.image-view select']
  .join(', ');
const LOCAL_ONLY = new Set(['presenter-toggle']);

export class Presenter {
  /** `deps`: {notice(msg), error(msg), changed()} — `changed` rewrites the URL (present=1 comes and goes). */
  constructor(deps) {
    this.deps = deps;
    const params = new URLSearchParams(window.location.search);
    this.viewerToken = params.get('view');
    this.sessionId = params.get('session');
    this.present = params.get('present') === '1';
    this.viewerUrl = null;
    this.count = 0;
    this.toggle = byTestId('presenter-toggle');
    this.countEl = byTestId('viewer-count');
    this.shareButton = byTestId('share-viewer-link');
    this.toggle.addEventListener('click', () => this.setPresent(!this.present));
    this.shareButton.addEventListener('click', () => this.share());
    this.apply();
  }

  /** True on a page opened with a viewer link: it watches a session it cannot control. */
  get viewer() {
    return Boolean(this.viewerToken && this.sessionId);
  }

  /** The session a viewer page connects to (its websocket carries the viewer token). */
  watched() {
    return { id: this.sessionId, token: this.viewerToken };
  }

  /** Commands a page may send: a viewer only asks for snapshots. */
  allows(cmd) {
    return !this.viewer || cmd.cmd === 'snapshot';
  }

  /** A created session's reply carries the viewer link (absent on a viewer page). */
  setSession(created) {
    this.viewerUrl = created && created.viewer_url ? new URL(created.viewer_url, window.location.href).href : null;
    this.shareButton.disabled = !this.viewerUrl;
    this.shareButton.dataset.url = this.viewerUrl || '';
    this.setCount(0);
  }

  /** hello / state / info carry `viewers`; the `viewers` event too. */
  setCount(n) {
    if (typeof n !== 'number') return;
    this.count = n;
    this.countEl.textContent = String(n);
    this.countEl.closest('.viewers').title = `${n} read-only viewer${n === 1 ? '' : 's'} watching this session`;
  }

  /** The websocket's hello: the count so far; a viewer page locks the editors it has just built. */
  hello(m) {
    this.setCount(m.viewers);
    if (this.viewer) this.lockControls();
  }

  /** Query parameters the page's URL keeps besides its state: the viewer link's, and present=1. */
  urlSuffix() {
    const params = new URLSearchParams();
    if (this.viewer) {
      params.set('session', this.sessionId);
      params.set('view', this.viewerToken);
    }
    if (this.present) params.set('present', '1');
    const q = params.toString();
    return q ? `&${q}` : '';
  }

  setPresent(on) {
    this.present = Boolean(on);
    this.apply();
    this.deps.changed();
  }

  /** Body classes, the toggle's state, and (viewer page) every control disabled. */
  apply() {
    document.body.classList.toggle('presenter-view', this.present);
    document.body.classList.toggle('viewer-mode', this.viewer);
    this.toggle.setAttribute('aria-pressed', String(this.present));
    byTestId('viewer-badge').hidden = !this.viewer;
    this.shareButton.hidden = this.viewer;
    if (this.viewer) this.lockControls();
  }

  /** Disable what a viewer cannot use (again after the page re-renders its editors). */
  lockControls() {
    document.querySelectorAll(CONTROLS).forEach((el) => {
      if (LOCAL_ONLY.has(el.dataset.testid)) return;
      el.disabled = true;
      el.setAttribute('aria-disabled', 'true');
      el.tabIndex = -1;
    });
  }

  async share() {
    if (!this.viewerUrl) return;
    const url = this.viewerUrl;
    byTestId('viewer-link-text').textContent = url;
    byTestId('viewer-link-text').hidden = false;
    if (await copyText(url)) this.deps.notice('Viewer link copied — it shows this session live, read-only');
    else this.deps.error(`Copy this viewer link: ${url}`);
  }
}
