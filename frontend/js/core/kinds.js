// core/kinds.js — 2D ⇄ image sessions: which kind a dataset is, the body that creates one, the page's view (body.view-image) and the switch between kinds.

export class SessionKinds {
  /**
   * `deps`: {state, session, images (ImageView), requests (SessionRequests), create(body) → Promise<created>,
   * switchTo(created) → Promise, syncUi(), error(msg)}. `session.kind` is '2d' or 'image'.
   */
  constructor(deps) {
    this.deps = deps;
  }

  isImage(name) {
    return this.deps.session.imageDatasets.some((d) => d.name === name);
  }

  /** Whether a session can be made for `name` here (a 2D dataset, or an image dataset the server has). */
  known(name) {
    const { session } = this.deps;
    return session.datasets.some((d) => d.name === name) || session.imageDatasets.some((d) => d.name === name && d.available);
  }

  /** Why a link's dataset cannot be opened (for an image dataset: the server's note on how to get it). */
  whyNot(name, fallback) {
    const d = this.deps.session.imageDatasets.find((x) => x.name === name);
    const why = d ? `${d.title || name} is not on this server. ${d.note || ''}`.trim() : `Dataset "${name}" cannot be opened from a link`;
    return `${why} — using ${fallback}`;
  }

  /** The kind of session a dataset needs. */
  kindOf(name) {
    return this.isImage(name) ? 'image' : '2d';
  }

  /** POST /api/sessions body for the page's dataset: an image one (with the URL's model) or a 2D one with the page's config. */
  body() {
    const { state, images, requests } = this.deps;
    return this.isImage(state.dataset) ? images.sessionBody(state) : requests.body();
  }

  /** Show the view of `kind` (from a creation answer or a hello: a viewer page learns it only there). */
  show(kind) {
    const { session } = this.deps;
    session.kind = kind === 'image' ? 'image' : '2d';
    document.body.classList.toggle('view-image', session.kind === 'image');
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
