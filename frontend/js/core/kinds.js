// core/kinds.js — session kinds from what GET /api/datasets serves: which kind a dataset is, whether it can be opened here, the page's view (body.view-<kind>) and the switch between kinds.

/** The kind of the datasets in each list of /api/datasets when an entry does not name its own. */
const LISTS = { datasets: '2d', image_datasets: 'image' };

export class SessionKinds {
  /**
   * `deps`: {state, session, views (the per-kind table: body() makes a session's POST body),
   * create(body) → Promise<created>, switchTo(created) → Promise, syncUi(), error(msg)}.
   */
  constructor(deps) {
    this.deps = deps;
    this.catalog = new Map(); // name → {kind, available, title, note}
  }

  /**
   * GET /api/datasets: every list it serves, each entry with its kind — the server's `dataset_kinds`
   * (its kind registry) when it serves one, else the entry's `kind`, else its list's.
   */
  setCatalog(json) {
    const served = json.dataset_kinds || {};
    this.catalog = new Map();
    Object.entries(LISTS).forEach(([list, kind]) => (Array.isArray(json[list]) ? json[list] : []).forEach((d) => {
      this.catalog.set(d.name, { available: true, ...d, kind: served[d.name] || d.kind || kind });
    }));
  }

  /** The kind of session a dataset needs (a drawn / uploaded one: the first kind's). */
  kindOf(name) {
    const d = this.catalog.get(name);
    return d ? d.kind : Object.values(LISTS)[0];
  }

  /** Whether a session can be made for `name` here (listed, and its data is on this server). */
  known(name) {
    const d = this.catalog.get(name);
    return Boolean(d && d.available);
  }

  /** Why a link's dataset cannot be opened (for a listed one: the server's note on how to get it). */
  whyNot(name, fallback) {
    const d = this.catalog.get(name);
    const why = d ? `${d.title || name} is not on this server. ${d.note || ''}`.trim() : `Dataset "${name}" cannot be opened from a link`;
    return `${why} — using ${fallback}`;
  }

  /** POST /api/sessions body for the page's dataset, made by its kind's view. */
  body() {
    return this.deps.views[this.kindOf(this.deps.state.dataset)].body();
  }

  /** Show the view of `kind` (from a creation answer or a hello: a viewer page learns it only there). */
  show(kind) {
    const { session, views } = this.deps;
    session.kind = kind in views ? kind : Object.keys(views)[0];
    Object.keys(views).forEach((k) => document.body.classList.toggle(`view-${k}`, k === session.kind));
  }

  /** A dataset of `kind` to open: `preferred` when it is one here, else the first available one of that kind. */
  datasetFor(kind, preferred) {
    if (preferred && this.kindOf(preferred) === kind && this.known(preferred)) return preferred;
    const d = [...this.catalog.values()].find((e) => e.kind === kind && e.available);
    return d ? d.name : null;
  }

  /** Make the page's session one of `kind` (a lesson's): switch to `preferred` or that kind's first dataset; resolves to whether it is. */
  async ensure(kind, preferred) {
    if (this.deps.session.kind === kind) return true;
    const name = this.datasetFor(kind, preferred);
    if (!name) {
      this.deps.error(`No ${kind} dataset is served here`);
      return false;
    }
    await this.switchTo(name);
    return this.deps.session.kind === kind;
  }

  /** A session of the other kind replaces the page's session (the old one ends); on failure the page stays. */
  async switchTo(name) {
    const { state } = this.deps;
    const old = state.dataset;
    state.dataset = name;
    try {
      await this.deps.switchTo(await this.deps.create(this.body()));
    } catch (e) {
      state.dataset = old;
      this.deps.syncUi();
      this.deps.error(`${name}: ${e.detail || e.message}`);
    }
  }
}
