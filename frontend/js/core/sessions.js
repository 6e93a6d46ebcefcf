// core/sessions.js — what the page asks the server for when it starts a session: from a link, from its own settings, or a pre-trained model.

import { api } from './api.js';
import { clone, configPatchBetween } from './state.js';

/** Datasets made from the user's points (not in /api/datasets: a new session starts from a registry one). */
export const CUSTOM_DATASETS = ['drawn', 'csv'];

export class SessionRequests {
  /** `deps`: {datasets() → [{name, config}], presetConfig(name) → config|null, error(msg)}. */
  constructor(state, deps) {
    this.state = state;
    this.deps = deps;
  }

  /** What the URL's config is relative to: the chosen preset's config, else the dataset's default. */
  baseConfig() {
    const list = this.deps.datasets();
    const d = list.find((x) => x.name === this.state.dataset) || list[0];
    return this.deps.presetConfig(this.state.preset) || (d ? d.config : null);
  }

  /** A session with the page's settings; a pre-trained one takes no config. */
  body(extra = {}) {
    const { state } = this;
    const dataset = CUSTOM_DATASETS.includes(state.dataset) ? this.deps.datasets()[0].name : state.dataset;
    if (extra.pretrained) return { dataset, seed: state.seed, pretrained: true };
    return { dataset, seed: state.seed, config: clone(state.config), ...extra };
  }

  /** The session a link asks for: its dataset, seed, preset and config (a patch on `base`, the preset's config). */
  linkBody(base) {
    const { state } = this;
    const body = { dataset: state.dataset, seed: state.seed };
    if (state.preset) body.preset = state.preset;
    const patch = configPatchBetween(base, state.config);
    if (Object.keys(patch).length) body.config = patch;
    return body;
  }

  /** POST /api/sessions; a 422 caused by a link's preset or config drops it (the field named first) and says so. */
  async create(body) {
    try {
      return await api.create(body);
    } catch (e) {
      const optional = ['preset', 'config'].filter((k) => k in body);
      const drop = optional.find((k) => String(e.detail).startsWith(k)) || optional[0];
      if (e.status !== 422 || !drop) throw e;
      this.deps.error(`Link setting "${drop}" ignored: ${e.detail}`);
      if (drop === 'preset') this.state.preset = '';
      const rest = { ...body };
      delete rest[drop];
      return this.create(rest);
    }
  }

  /** A pre-trained session, or null (said why) when the server has none for the dataset. */
  async pretrained() {
    try {
      return await api.create(this.body({ pretrained: true }));
    } catch (e) {
      this.deps.error(`Pre-trained start not available: ${e.detail || e.message}`);
      this.state.pretrained = false;
      return null;
    }
  }
}
